"""bespin.platform.node_topology against the sandbox's real kube-apiserver."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from kubernetes import client, config

from bespin_sandbox import topology as topologies

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import run_module, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.node_topology"


@pytest.fixture(scope="module")
def core(sandbox):
    return client.CoreV1Api(config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig)))


@pytest.fixture(scope="module")
def two_nodes(sandbox):
    nodes = topologies.load(sandbox.layout.topology_file).nodes()
    return [nodes[0].name, nodes[1].name]


def desired(first, second):
    return {
        first: {
            "labels": {"domain": "auth", "workload": "api", "phase": "1"},
            "taints": [{"key": "domain", "value": "auth", "effect": "NoSchedule"}],
        },
        second: {"labels": {"domain": "ai", "workload": "worker-ai"}, "taints": []},
    }


OWNERSHIP = {"owned_label_prefixes": ["domain", "workload", "phase"], "owned_taint_keys": ["domain"]}


def labels_and_taints(core, name):
    node = core.read_node(name)
    return node.metadata.labels, [(t.key, t.value, t.effect) for t in node.spec.taints or []]


def test_check_mode_predicts_the_change_and_writes_nothing(core, two_nodes):
    mark = sandbox_mark()
    result = run_module(MODULE, {"nodes": desired(*two_nodes), **OWNERSHIP}, check=True, diff=True)
    assert result["changed"] is True
    assert set(result["changed_nodes"]) == set(two_nodes)
    assert result["diff"]["after"][two_nodes[0]]["labels"]["domain"] == "auth"
    assert "kubernetes" not in sandbox_writes(mark)
    assert "domain" not in labels_and_taints(core, two_nodes[0])[0]


def test_converge_applies_labels_and_taints_then_reruns_without_writes(core, two_nodes):
    first, second = two_nodes
    core.patch_node(
        second,
        {
            "metadata": {"labels": {"team": "core"}},
            "spec": {"taints": [{"key": "team", "value": "core", "effect": "PreferNoSchedule"}]},
        },
    )
    mark = sandbox_mark()
    result = run_module(MODULE, {"nodes": desired(first, second), **OWNERSHIP})
    assert result["changed"] is True, result
    assert sandbox_writes(mark)["kubernetes"] == {"patch": 2}  # one conditional patch per node

    labels, taints = labels_and_taints(core, first)
    assert (labels["domain"], labels["workload"], labels["phase"]) == ("auth", "api", "1")
    assert ("domain", "auth", "NoSchedule") in taints
    labels, taints = labels_and_taints(core, second)
    assert labels["domain"] == "ai" and labels["team"] == "core"  # foreign label kept
    assert ("team", "core", "PreferNoSchedule") in taints  # foreign taint kept

    mark = sandbox_mark()
    again = run_module(MODULE, {"nodes": desired(first, second), **OWNERSHIP})
    assert again["changed"] is False
    assert again["unchanged"] == 2
    assert "kubernetes" not in sandbox_writes(mark)


def test_owned_labels_and_taints_not_declared_are_removed(core, two_nodes):
    first, second = two_nodes
    run_module(MODULE, {"nodes": desired(first, second), **OWNERSHIP})
    shrunk = {first: {"labels": {"domain": "auth"}}, second: {"labels": {"domain": "ai", "workload": None}}}
    result = run_module(MODULE, {"nodes": shrunk, **OWNERSHIP})
    assert result["changed_nodes"][first]["labels_removed"] == ["phase", "workload"]
    assert result["changed_nodes"][first]["taints_removed"] == ["domain=auth:NoSchedule"]
    labels, taints = labels_and_taints(core, first)
    assert "phase" not in labels and "workload" not in labels
    assert all(key != "domain" for key, _value, _effect in taints)
    assert "workload" not in labels_and_taints(core, second)[0]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"nodes": {"NODE": {"labels": {"domain": "has space"}}}}, "nodes.NODE.labels.domain"),
        ({"nodes": {"NODE": {"taints": [{"key": "d", "effect": "Never"}]}}}, "nodes.NODE.taints[0].effect"),
        ({"nodes": {"NODE": {"labels": {"node-role.kubernetes.io/x": ""}}}}, "reserved for Kubernetes"),
        ({"nodes": {"NODE": {"labels": {"a": "b"}}}, "parallelism": 0}, "parallelism"),
        ({"nodes": {"ip-10-9-9-9.nowhere.compute.internal": {"labels": {"a": "b"}}}}, "do not exist"),
    ],
)
def test_bad_input_fails_before_any_write(two_nodes, args, field):
    args = {**args, "nodes": {k.replace("NODE", two_nodes[0]): v for k, v in args["nodes"].items()}}
    mark = sandbox_mark()
    result = run_module(MODULE, args)
    assert result.get("failed") is True
    assert field.replace("NODE", two_nodes[0]) in result["msg"]
    assert "kubernetes" not in sandbox_writes(mark)
