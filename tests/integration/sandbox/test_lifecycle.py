"""`sandbox up/status/env/down` on a second, private sandbox: idempotent, and
`down` leaves no process and no listening port behind."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from bespin_sandbox.layout import Layout
from bespin_sandbox.processes import port_in_use, process_running

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

SMALL = {
    "cluster": {"name": "lifecycle", "region": "ap-northeast-2", "kubernetes_version": "1.36"},
    "nodegroups": [
        {"name": "only", "instance_type": "t3.medium", "zones": ["ap-northeast-2a", "ap-northeast-2c"], "count": 3}
    ],
}


@pytest.fixture
def private_sandbox(tmp_path):
    """A sandbox with its own folder and ports, beside the session's."""
    env = {**os.environ, "BESPIN_SANDBOX_DIR": str(tmp_path / "state"), "BESPIN_SANDBOX_PORT_BASE": "23000"}
    topology = tmp_path / "topology.yml"
    topology.write_text(yaml.safe_dump(SMALL))
    yield env, topology
    subprocess.run(["sandbox", "down"], env=env, capture_output=True, check=False)


def sandbox(env, *args):
    return subprocess.run(["sandbox", *args], env=env, capture_output=True, text=True, check=False)


def pids_of(layout: Layout) -> list[int]:
    return [int(yaml.safe_load(p.read_text())["pid"]) for p in layout.run_dir.glob("*.pid")]


def test_up_is_idempotent_and_down_leaves_nothing_behind(private_sandbox):
    env, topology = private_sandbox
    layout = Layout(Path(env["BESPIN_SANDBOX_DIR"]), int(env["BESPIN_SANDBOX_PORT_BASE"]))

    first = sandbox(env, "up", "--topology", str(topology))
    assert first.returncode == 0, first.stderr
    status = sandbox(env, "status")
    assert status.returncode == 0, status.stdout  # 0: every component healthy
    rows = status.stdout.splitlines()[1:-1]
    assert rows and all(" healthy " in row for row in rows)
    pids = pids_of(layout)
    assert len(pids) == len(rows)

    started = time.monotonic()
    second = sandbox(env, "up")
    assert second.returncode == 0, second.stderr
    assert "started" not in second.stderr  # nothing was restarted
    assert pids_of(layout) == pids
    print(f"second `sandbox up`: {time.monotonic() - started:.1f}s")

    exports = sandbox(env, "env").stdout
    settings = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
    assert shlex.split(settings["KUBECONFIG"])[0] == str(layout.kubeconfig)
    nodes = subprocess.run(
        ["kubectl", "get", "nodes", "-o", "name"],
        env={**env, "KUBECONFIG": str(layout.kubeconfig)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(nodes.stdout.split()) == 3

    ports = [int(row.split()[-1].rsplit(":", 1)[1].split("/")[0]) for row in rows]
    assert layout.apiserver_port in ports and layout.etcd_client_port in ports
    down = sandbox(env, "down")
    assert down.returncode == 0, down.stderr
    # A finished process may linger as a zombie until init reaps it; it runs nothing.
    assert [pid for pid in pids if process_running(pid)] == []
    ports.append(layout.etcd_peer_port)
    assert [port for port in ports if port_in_use(port)] == []
    assert list(layout.run_dir.glob("*.pid")) == []
    assert sandbox(env, "status").returncode == 3
