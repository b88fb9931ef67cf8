"""inventories/example on a private sandbox with the seed-003 nodegroups: the inventory
finds the 13 nodes, the node_topology playbook converges them (placement proved by
the real scheduler), and a second run changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from kubernetes import client, config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "sandbox" / "bespin_sandbox" / "topologies" / "seed-003.yml"
INVENTORY = ROOT / "inventories" / "example"


@pytest.fixture(scope="module")
def seed_003(tmp_path_factory):
    """A second sandbox (own folder and ports) with the example's nodegroups."""
    state = tmp_path_factory.mktemp("seed-003") / "state"
    env = {**os.environ, "BESPIN_SANDBOX_DIR": str(state), "BESPIN_SANDBOX_PORT_BASE": "27000"}
    command = ["sandbox", "up", "--topology", str(TOPOLOGY)]
    up = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert up.returncode == 0, up.stderr
    exports = subprocess.run(["sandbox", "env"], env=env, capture_output=True, text=True, check=True).stdout
    for line in exports.splitlines():
        name, _equals, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'\"")
    yield env
    subprocess.run(["sandbox", "down"], env=env, capture_output=True, check=False)


def ansible(env, *command):
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_example_inventory_groups_the_13_nodes_by_nodegroup(seed_003):
    listed = json.loads(ansible(seed_003, "ansible-inventory", "-i", str(INVENTORY), "--list"))
    assert len(listed["eks_nodes"]["hosts"]) == 13
    assert len(listed["nodegroup_api_auth"]["hosts"]) == 1
    hostvars = listed["_meta"]["hostvars"]
    auth = listed["nodegroup_api_auth"]["hosts"][0]
    assert hostvars[auth]["node_labels"] == {"domain": "auth", "workload": "api", "phase": "1"}


def test_the_node_topology_playbook_converges_and_proves_placement(seed_003):
    playbook = ["ansible-playbook", "-i", str(INVENTORY), "playbooks/node_topology.yml"]
    first = ansible(seed_003, *playbook)
    assert "placement" in first.lower()
    core = client.CoreV1Api(config.new_client_from_config(config_file=seed_003["KUBECONFIG"]))
    by_nodegroup = {node.metadata.labels["eks.amazonaws.com/nodegroup"]: node for node in core.list_node().items}
    chat = by_nodegroup["api-chat"]
    assert {k: chat.metadata.labels[k] for k in ("domain", "workload", "phase")} == {
        "domain": "chat",
        "workload": "api",
        "phase": "3",
    }
    assert [(t.key, t.value, t.effect) for t in chat.spec.taints] == [("domain", "chat", "NoSchedule")]
    storage = by_nodegroup["worker-storage"]
    assert storage.metadata.labels["domain"] == "scan" and not storage.spec.taints

    second = ansible(seed_003, *playbook, "-e", "node_topology_verify_placement=false")
    recap = second[second.index("PLAY RECAP") :]
    changed = [int(n) for n in re.findall(r"changed=(\d+)", recap)]
    assert changed and not any(changed), recap
