"""Run one module the way a playbook does (ad-hoc `ansible localhost -m`) and read its result."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_module(module: str, args: dict, check: bool = False, diff: bool = False) -> dict:
    command = ["ansible", "localhost", "-m", module, "-a", json.dumps(args)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    env = {
        **os.environ,
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        # The module runs with the venv's Python, where the kubernetes client is.
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"no JSON from ansible:\n{result.stdout}\n{result.stderr}") from exc
    return report["plays"][0]["tasks"][0]["hosts"]["localhost"]


def sandbox_writes(mark: str) -> dict[str, dict[str, int]]:
    result = subprocess.run(
        ["sandbox", "writes", "--since", mark, "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def sandbox_mark() -> str:
    return subprocess.run(["sandbox", "writes", "--mark"], capture_output=True, text=True, check=True).stdout.strip()
