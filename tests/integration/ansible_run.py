"""Run one module the way a playbook does (ad-hoc `ansible localhost -m`) and read its result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


def sandbox_mark() -> str:
    return subprocess.run(["sandbox", "writes", "--mark"], capture_output=True, text=True, check=True).stdout.strip()


def run_module_verbose(module: str, args: dict, *flags: str) -> str:
    """Everything an ad-hoc `-vvv` run prints (default callback), to scan for secrets."""
    command = ["ansible", "localhost", "-m", module, "-a", json.dumps(args), "-vvv", *flags]
    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": sys.executable}
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    return result.stdout + result.stderr
