"""Run one module the way a playbook does (ad-hoc `ansible localhost -m`) and read its result."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile

import psutil

from bespin_sandbox.accounting import real_total

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The default callback's banners and per-host result lines. A banner may carry
# " [CHECK MODE]" (check_mode_markers) after the name and always ends in stars;
# a result line starts at column 0, so dumped results (indented at -v) never match.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
TASK_BANNER = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(?P<name>.*?)\](?: \[CHECK MODE\])? \*{3,}$")
OTHER_BANNER = re.compile(r"^(?:PLAY|PLAY RECAP)\b.*\*{3,}$")
CHANGED_LINE = re.compile(r"^changed: \[(?P<host>[^\]]+?)(?: -> [^\]]+)?\]")


def changed_tasks(output: str) -> set[tuple[str, str]]:
    """(host, task name as its banner prints it) for every task or handler that
    printed at least one `changed: [host]` line (a loop counts once, a delegated
    result counts for the inventory host, as the recap does)."""
    changed = set()
    task = None
    for raw in output.splitlines():
        line = ANSI_ESCAPE.sub("", raw).rstrip()
        banner = TASK_BANNER.match(line)
        if banner:
            task = banner["name"]
            continue
        if OTHER_BANNER.match(line):
            task = None
            continue
        result = CHANGED_LINE.match(line)
        if result and task is not None:
            changed.add((result["host"], task))
    return changed


RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")


def recap(output: str) -> dict[str, dict[str, int]]:
    """Every host's counts from the PLAY RECAP of default-callback output."""
    hosts: dict[str, dict[str, int]] = {}
    in_recap = False
    for raw in output.splitlines():
        line = ANSI_ESCAPE.sub("", raw).strip()
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        match = RECAP_LINE.match(line) if in_recap else None
        if match:
            hosts[match["host"]] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match["counts"])}
    return hosts


def _json_report(command: list[str]) -> dict:
    env = {
        **os.environ,
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        # The module runs with the venv's Python, where the kubernetes client is.
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"no JSON from ansible:\n{result.stdout}\n{result.stderr}") from exc


def run_module(module: str, args: dict, check: bool = False, diff: bool = False) -> dict:
    command = ["ansible", "localhost", "-m", module, "-a", json.dumps(args)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    return _json_report(command)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def run_module_many(module: str, calls: list[dict]) -> list[dict]:
    """Each call's result, from ONE ansible-playbook run (a failed call does not stop the others):
    a bad-input matrix costs one Ansible start-up instead of one per case."""
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [{"name": f"call {i}", module: args, "ignore_errors": True} for i, args in enumerate(calls)],
        }
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="calls-") as playbook:
        json.dump(play, playbook)  # JSON is YAML
        playbook.flush()
        report = _json_report(["ansible-playbook", playbook.name])
    return [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]]


def sandbox_writes(mark: str) -> dict[str, dict[str, int]]:
    result = subprocess.run(
        ["sandbox", "writes", "--since", mark, "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def real_writes(mark: str) -> int:
    """Writes since `mark` over every sandbox service, dry runs (check mode) apart."""
    return real_total(sandbox_writes(mark))


def sandbox_mark() -> str:
    return subprocess.run(["sandbox", "writes", "--mark"], capture_output=True, text=True, check=True).stdout.strip()


def run_module_verbose(module: str, args: dict, *flags: str) -> str:
    """Everything an ad-hoc `-vvv` run prints (default callback), to scan for secrets."""
    command = ["ansible", "localhost", "-m", module, "-a", json.dumps(args), "-vvv", *flags]
    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": sys.executable}
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    return result.stdout + result.stderr


def kill_run(pid: int) -> None:
    """SIGKILL a run and every process it started, as a killed CI job's container ends it.

    ansible-core puts each worker (and the module it runs) in a process group of its own,
    which a signal to the run's group misses: the module would run on to its end."""
    root = psutil.Process(pid)
    stopped: dict[int, psutil.Process] = {}
    with contextlib.suppress(psutil.NoSuchProcess):
        root.suspend()  # nothing forks while the tree is walked
        stopped[pid] = root
        while new := [child for child in root.children(recursive=True) if child.pid not in stopped]:
            for child in new:
                stopped[child.pid] = child
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.suspend()
    for process in stopped.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
