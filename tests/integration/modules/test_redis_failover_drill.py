"""Failover drills against the sandbox's real Redis: the primary is killed with SIGKILL
while sessions stream in through Sentinel (the module, and playbooks/redis_failover_drill.yml).

After each drill `sandbox up` restarts the killed process; the next module's `sandbox`
fixture resets the sandbox, which fails the master back to the primary port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import redis_state
from ansible_run import ROOT, run_module

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.redis_failover_drill"
WRITES = 2000
# Without WAIT only the writes the master acknowledged in its last moments can be
# lost: the replica is at most this many writes behind on loopback.
ASYNC_LOSS_WINDOW = 200


def restore():
    result = subprocess.run(["sandbox", "up"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def drill_args(sandbox):
    yield {
        "sentinels": redis_state.sentinels(),
        "master_name": "mymaster",
        "password": redis_state.password(),
        "writes_before_kill": WRITES,
        "writes_after_failover": 100,
    }
    restore()


def index_of(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def test_asynchronous_replication_loses_at_most_the_last_writes(drill_args):
    old_master = redis_state.master_port()
    result = run_module(MODULE, drill_args)
    assert result["changed"], result
    assert result["old_master"] == f"127.0.0.1:{old_master}"
    assert result["new_master"] != result["old_master"]
    assert 0 < result["failover_seconds"] < 30
    assert result["acknowledged_before_kill"] == WRITES
    assert result["acknowledged"] >= WRITES + 100
    # Every write acknowledged well before the kill had replicated and is readable.
    assert result["lost"] <= ASYNC_LOSS_WINDOW
    assert all(index_of(key) >= WRITES - ASYNC_LOSS_WINDOW for key in result["lost_keys"])
    assert redis_state.master_port() == int(result["new_master"].rsplit(":", 1)[1])


def test_with_wait_no_acknowledged_write_is_lost(drill_args):
    result = run_module(MODULE, dict(drill_args, wait_replicas=1))
    assert result["changed"], result
    assert result["wait_replicas"] == 1
    assert result["lost"] == 0 and result["lost_keys"] == []
    assert result["acknowledged_before_kill"] == WRITES


def test_the_drill_leaves_no_session_behind(drill_args):
    run_module(MODULE, dict(drill_args, writes_before_kill=200))
    master = redis_state.node(redis_state.master_port())
    assert list(master.scan_iter("spring:session:sessions:drill-*")) == []


def test_a_bad_kill_setting_is_refused_before_anything(drill_args):
    before = redis_state.master_port()
    result = run_module(MODULE, dict(drill_args, kill="command"))
    assert result["failed"] and "kill_command" in result["msg"]
    assert redis_state.master_port() == before


def test_the_drill_playbook_reports_both_rounds(sandbox):
    env = {
        **os.environ,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    }
    command = [
        "ansible-playbook", "playbooks/redis_failover_drill.yml", "-i", "inventories/sandbox/hosts.yml",
        "-e", json.dumps({"redis_drill_writes": 500}),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    report = json.loads(result.stdout)
    assert all(stats["failures"] == 0 for stats in report["stats"].values()), result.stdout[-3000:]
    tasks = {task["task"]["name"]: task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]}
    lines = tasks["Report"]["msg"]
    assert lines[0].split() == ["replication", "failover", "s", "writes/s", "acknowledged", "lost"]
    assert lines[2].startswith("WAIT 1 after each write") and lines[2].split()[-1] == "0"
    assert redis_state.password() not in result.stdout
