"""Shared fixtures: the sandbox, brought up once per test session.

Tests that need it take the ``sandbox`` fixture, which also resets the cluster
to its freshly seeded state once per test module, so modules never see each
other's objects. A sandbox that was already running before the session is left
running afterwards; one the session started is stopped at the end (set
BESPIN_SANDBOX_KEEP=1 to keep it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bespin_sandbox.sandbox import Sandbox

# The venv's commands (sandbox, ansible-playbook, kubectl, helm), also when pytest
# is started as .venv/bin/pytest without activating the venv.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# Ansible commands tests run without -i get the controller alone (inventories/sandbox's
# hosts.yml, with its group_vars): the directory's eks_nodes source would ask EKS and
# Kubernetes for the nodes on every run, seconds each, and draw from the fault plans
# of tests that inject faults. Only the site and node topology tests need the nodes.
os.environ.setdefault(
    "ANSIBLE_INVENTORY", str(Path(__file__).resolve().parents[1] / "inventories" / "sandbox" / "hosts.yml")
)
# `make setup` links this checkout as <venv>/collections/ansible_collections/bespin/platform:
# unit tests import our module_utils by their collection names from there.
sys.path.insert(0, str(Path(sys.prefix) / "collections"))


def run_sandbox(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sandbox", *args], capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="session")
def sandbox_session():
    handle = Sandbox()
    was_running = all(row.healthy for row in handle.status())
    result = run_sandbox("up")
    assert result.returncode == 0, f"sandbox up failed:\n{result.stderr}"
    settings = handle.env()
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)  # ansible-playbook, kubectl and helm run by tests inherit these
    yield handle
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if not was_running and os.environ.get("BESPIN_SANDBOX_KEEP") != "1":
        run_sandbox("down")


@pytest.fixture(scope="module")
def sandbox(sandbox_session):
    result = run_sandbox("reset")
    assert result.returncode == 0, f"sandbox reset failed:\n{result.stderr}"
    return sandbox_session
