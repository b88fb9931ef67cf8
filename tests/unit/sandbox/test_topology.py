"""The topology file: validation names the bad field; node identities are stable."""

from __future__ import annotations

import copy
import ipaddress
import re

import pytest

from bespin_sandbox import nodes, topology
from bespin_sandbox.instance_types import INSTANCE_TYPES

BASE = {
    "cluster": {"name": "petclinic", "region": "ap-northeast-2", "kubernetes_version": "1.36"},
    "nodegroups": [
        {"name": "system", "instance_type": "t3.medium", "zones": ["ap-northeast-2a", "ap-northeast-2c"], "count": 3},
        {
            "name": "infra",
            "instance_type": "r5.large",
            "zones": ["ap-northeast-2c"],
            "count": 2,
            "labels": {"role": "infra"},
            "taints": [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}],
        },
    ],
}


def with_change(path: str, value):
    data = copy.deepcopy(BASE)
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("cluster.name", "Pet_Clinic", "cluster.name"),
        ("cluster.region", KeyError, "cluster.region"),
        ("cluster.kubernetes_version", 1.3, "cluster.kubernetes_version"),
        ("cluster.vpc_cidr", "10.0.0.0/33", "cluster.vpc_cidr"),
        ("nodegroups.0.instance_type", "t9.huge", "nodegroups[0].instance_type"),
        ("nodegroups.0.zones", ["us-east-1a"], "nodegroups[0].zones"),
        ("nodegroups.0.count", -1, "nodegroups[0].count"),
        ("nodegroups.0.count", True, "nodegroups[0].count"),
        ("nodegroups.1.labels", {"role": 3}, "nodegroups[1].labels.role"),
        ("nodegroups.1.taints", [{"key": "a", "effect": "NoScheduel"}], "nodegroups[1].taints[0].effect"),
        ("nodegroups.1.name", "system", "duplicate name(s) system"),
        ("nodegroups.1.capacity_type", "RESERVED", "nodegroups[1].capacity_type"),
        ("nodegroups", [], "nodegroups must be a non-empty list"),
    ],
)
def test_invalid_topology_names_the_field(path, value, message):
    with pytest.raises(topology.TopologyError, match=re.escape(message)):
        topology.parse(with_change(path, value))


def test_default_topology_loads():
    loaded = topology.load()
    assert loaded.cluster_name == "petclinic"
    assert {g.name for g in loaded.nodegroups} >= {"system"}


def test_nodes_look_like_eks_workers():
    parsed = topology.parse(BASE)
    workers = parsed.nodes()
    assert len(workers) == 5
    for node in workers:
        subnet = parsed.subnet_for(node.zone)
        assert ipaddress.ip_address(node.private_ip) in subnet
        assert node.name == f"ip-{node.private_ip.replace('.', '-')}.ap-northeast-2.compute.internal"
        assert re.fullmatch(r"i-[0-9a-f]{17}", node.instance_id)
        assert node.provider_id == f"aws:///{node.zone}/{node.instance_id}"
    # Zones alternate inside a nodegroup.
    assert [n.zone for n in workers[:3]] == ["ap-northeast-2a", "ap-northeast-2c", "ap-northeast-2a"]


def test_adding_a_nodegroup_keeps_existing_identities():
    before = topology.parse(BASE).nodes()
    grown = copy.deepcopy(BASE)
    grown["nodegroups"].append(
        {"name": "batch", "instance_type": "c5.large", "zones": ["ap-northeast-2a"], "count": 50}
    )
    after = topology.parse(grown).nodes()
    assert [(n.name, n.instance_id) for n in after[: len(before)]] == [(n.name, n.instance_id) for n in before]


def test_a_thousand_nodes_get_distinct_addresses():
    big = topology.load(topology.DEFAULT_TOPOLOGY.parent / "scale-1000.yml")
    workers = big.nodes()
    assert len(workers) >= 1000
    assert len({n.private_ip for n in workers}) == len(workers)
    assert len({n.instance_id for n in workers}) == len(workers)


def test_node_manifest_carries_eks_labels_taints_and_capacity():
    parsed = topology.parse(BASE)
    infra = parsed.nodes()[3]
    body = nodes.manifest(infra, parsed)
    labels = body["metadata"]["labels"]
    assert labels["eks.amazonaws.com/nodegroup"] == "infra"
    assert labels["topology.kubernetes.io/zone"] == "ap-northeast-2c"
    assert labels["node.kubernetes.io/instance-type"] == "r5.large"
    assert labels["kubernetes.io/hostname"] == infra.name
    assert labels["role"] == "infra"
    assert body["spec"]["taints"] == [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]
    assert body["status"]["capacity"]["pods"] == "29"
    assert {"type": "InternalIP", "address": infra.private_ip} in body["status"]["addresses"]


@pytest.mark.parametrize("name", sorted(INSTANCE_TYPES))
def test_allocatable_is_less_than_capacity(name):
    instance = INSTANCE_TYPES[name]
    capacity, allocatable = instance.capacity(), instance.allocatable()
    assert int(allocatable["cpu"].rstrip("m")) < int(capacity["cpu"]) * 1000
    assert int(allocatable["memory"].rstrip("Ki")) < int(capacity["memory"].rstrip("Ki"))
