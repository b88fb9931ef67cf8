"""The eks_nodes inventory plugin against the sandbox: hosts, variables, groups,
EC2 enrichment from the AWS twin, and its cache."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from bespin_sandbox import topology as topologies

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]


def inventory(tmp_path, config, env=None):
    path = tmp_path / "sandbox.eks_nodes.yml"
    path.write_text(yaml.safe_dump({"plugin": "bespin.platform.eks_nodes", **config}))
    result = subprocess.run(
        ["ansible-inventory", "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return plain(json.loads(result.stdout))


def plain(value):
    """ansible-inventory marks some strings it got from a plugin as unsafe: {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@pytest.fixture(scope="module")
def topology(sandbox):
    return topologies.load(sandbox.layout.topology_file)


def test_one_host_per_node_with_its_state_and_default_groups(tmp_path, topology):
    listed = inventory(tmp_path, {})
    hostvars = listed["_meta"]["hostvars"]
    assert set(hostvars) == {node.name for node in topology.nodes()}
    for node in topology.nodes():
        facts = hostvars[node.name]["k8s_node"]
        assert hostvars[node.name]["ansible_host"] == node.private_ip
        assert (facts["zone"], facts["nodegroup"], facts["instance_id"]) == (
            node.zone,
            node.nodegroup.name,
            node.instance_id,
        )
        assert facts["instance_type"] == node.nodegroup.instance_type
        assert facts["ready"] is True
        assert facts["taints"] == [t.as_k8s() for t in node.nodegroup.taints]
        assert node.name in listed[f"nodegroup_{node.nodegroup.name}"]["hosts"]
        assert node.name in listed["zone_" + node.zone.replace("-", "_")]["hosts"]
    assert len([g for g in listed if g not in ("_meta", "all", "ungrouped")]) == (
        1 + len(topology.nodegroups) + len(topology.zones)
    )


def test_keyed_groups_compose_and_label_selector(tmp_path, topology):
    group = topology.nodegroups[0]
    listed = inventory(
        tmp_path,
        {
            "label_selector": f"eks.amazonaws.com/nodegroup={group.name}",
            "keyed_groups": [{"key": "k8s_node.instance_type", "prefix": "type"}],
            "compose": {"node_zone": "k8s_node.zone"},
        },
    )
    names = {n.name for n in topology.nodes() if n.nodegroup is group}
    assert set(listed["_meta"]["hostvars"]) == names
    assert set(listed["type_" + group.instance_type.replace(".", "_")]["hosts"]) == names
    assert all(v["node_zone"] == v["k8s_node"]["zone"] for v in listed["_meta"]["hostvars"].values())


def test_ec2_enrichment_matches_the_aws_twin(tmp_path, topology):
    listed = inventory(tmp_path, {"ec2_enrichment": True})
    for node in topology.nodes():
        ec2 = listed["_meta"]["hostvars"][node.name]["k8s_node"]["ec2"]
        assert ec2["private_ip"] == node.private_ip
        assert ec2["state"] == "running"
        assert ec2["lifecycle"] == ("spot" if node.nodegroup.capacity_type == "SPOT" else "on-demand")


def test_cached_inventory_does_not_need_the_api(tmp_path, topology):
    cache = {
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(tmp_path / "cache"),
        "cache_timeout": 600,
    }
    first = inventory(tmp_path, cache)
    # The API is now unreachable for the plugin; the cache must answer.
    unreachable = tmp_path / "nowhere.kubeconfig"
    unreachable.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "x",
                "clusters": [{"name": "x", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "x", "user": {"token": "none"}}],
                "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
            }
        )
    )
    second = inventory(tmp_path, {**cache, "kubeconfig": str(unreachable)})
    assert second["_meta"]["hostvars"] == first["_meta"]["hostvars"]


def test_cluster_name_source_needs_only_aws_credentials(tmp_path, topology):
    """Endpoint and CA from DescribeCluster, an STS-presigned bearer token: no kubeconfig at all."""
    by_kubeconfig = inventory(tmp_path, {})
    no_kubeconfig = {"KUBECONFIG": str(tmp_path / "absent"), "K8S_AUTH_KUBECONFIG": str(tmp_path / "absent")}
    by_cluster = inventory(
        tmp_path, {"cluster_name": topology.cluster_name, "region": topology.region}, env=no_kubeconfig
    )
    assert by_cluster["_meta"]["hostvars"] == by_kubeconfig["_meta"]["hostvars"]


def test_cluster_name_of_a_missing_cluster_is_named_in_the_error(tmp_path):
    path = tmp_path / "missing.eks_nodes.yml"
    path.write_text(yaml.safe_dump({"plugin": "bespin.platform.eks_nodes", "cluster_name": "nosuch"}))
    result = subprocess.run(
        ["ansible-inventory", "-i", str(path), "--list"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert "cluster_name nosuch: cannot connect" in result.stderr
