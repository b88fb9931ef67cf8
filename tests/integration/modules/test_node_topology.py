"""bespin.platform.node_topology against the sandbox's real kube-apiserver."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client, config

from bespin_sandbox import topology as topologies

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import run_module, run_module_many, sandbox_mark, sandbox_writes

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


@pytest.fixture
def faults():
    """Set kubernetes faults for one test; always cleared afterwards."""

    def set_faults(seed, **rates):
        spec = [f"{fault}={rate}" for fault, rate in rates.items()]
        subprocess.run(["sandbox", "faults", "set", "kubernetes", *spec, "--seed", str(seed)], check=True)

    yield set_faults
    subprocess.run(["sandbox", "faults", "clear"], check=True)


def every_node(sandbox):
    nodes = topologies.load(sandbox.layout.topology_file).nodes()
    return {
        node.name: {"labels": {"domain": f"d{index % 3}", "phase": str(index)}, "taints": []}
        for index, node in enumerate(nodes)
        if not node.nodegroup.taints  # keep the infra nodes' taints as seeded
    }


def assert_applied(core, request):
    for name, spec in request.items():
        labels = labels_and_taints(core, name)[0]
        assert {key: labels.get(key) for key in spec["labels"]} == spec["labels"], name


def test_conflicting_writers_are_read_again_and_replanned(sandbox, core, faults):
    """Another writer changes many nodes between the module's read and its guarded patch:
    the apiserver answers 409, the module reads those nodes again and still converges."""
    request = every_node(sandbox)
    faults(7, conflict=0.4)
    result = run_module(MODULE, {"nodes": request, "owned_label_prefixes": ["domain", "phase"], "parallelism": 1})
    subprocess.run(["sandbox", "faults", "clear"], check=True)
    assert result.get("failed") is not True, result
    assert set(result["changed_nodes"]) == set(request)
    assert_applied(core, request)
    concurrent = [
        name
        for name in request
        if "sandbox.bespin.io/concurrent-write" in (core.read_node(name).metadata.annotations or {})
    ]
    assert concurrent, "the fault plan made no concurrent write: the test proved nothing"


def test_throttling_server_errors_and_resets_are_survived(sandbox, core, faults):
    request = every_node(sandbox)
    run_module(MODULE, {"nodes": {name: {"labels": {"domain": None, "phase": None}} for name in request}})
    faults(3, throttling=0.1, error500=0.05, error503=0.05, reset=0.1)
    result = run_module(MODULE, {"nodes": request, "owned_label_prefixes": ["domain", "phase"]})
    assert result.get("failed") is not True, result
    again = run_module(MODULE, {"nodes": request, "owned_label_prefixes": ["domain", "phase"]})
    subprocess.run(["sandbox", "faults", "clear"], check=True)
    assert again.get("failed") is not True and again["changed"] is False, again
    assert_applied(core, request)


LONG = "x" * 64
BAD_INPUT = [
    ({"nodes": {"NODE": {"labels": {"domain": "has space"}}}}, "nodes.NODE.labels.domain"),
    ({"nodes": {"NODE": {"labels": {"domain": LONG}}}}, "nodes.NODE.labels.domain"),
    ({"nodes": {"NODE": {"labels": {"domain": "-starts-with-dash"}}}}, "nodes.NODE.labels.domain"),
    ({"nodes": {"NODE": {"labels": {"domain": 3}}}}, "nodes.NODE.labels.domain"),
    ({"nodes": {"NODE": {"labels": {LONG: "v"}}}}, "nodes.NODE.labels"),
    ({"nodes": {"NODE": {"labels": {("a" * 254) + "/name": "v"}}}}, "nodes.NODE.labels"),
    ({"nodes": {"NODE": {"labels": {"Bad_Prefix!/name": "v"}}}}, "nodes.NODE.labels"),
    ({"nodes": {"NODE": {"labels": {"example.com/": "v"}}}}, "nodes.NODE.labels"),
    ({"nodes": {"NODE": {"labels": {"node-role.kubernetes.io/x": ""}}}}, "reserved for Kubernetes"),
    ({"nodes": {"NODE": {"labels": {"team.k8s.io/owner": "a"}}}}, "reserved for Kubernetes"),
    ({"nodes": {"NODE": {"labels": ["domain"]}}}, "nodes.NODE.labels"),
    ({"nodes": {"NODE": {"lables": {"domain": "a"}}}}, "nodes.NODE: unknown field(s) lables"),
    ({"nodes": {"NODE": "domain=a"}}, "nodes.NODE"),
    ({"nodes": {"NODE": {"taints": [{"key": "d", "effect": "Never"}]}}}, "nodes.NODE.taints[0].effect"),
    ({"nodes": {"NODE": {"taints": [{"value": "x", "effect": "NoSchedule"}]}}}, "nodes.NODE.taints[0]"),
    ({"nodes": {"NODE": {"taints": [{"key": "d", "value": LONG, "effect": "NoSchedule"}]}}}, "nodes.NODE.taints[0]"),
    ({"nodes": {"NODE": {"taints": [{"key": "d", "effect": "NoSchedule", "colour": "red"}]}}}, "nodes.NODE.taints[0]"),
    (
        {"nodes": {"NODE": {"taints": [{"key": "d", "effect": "NoSchedule"}, {"key": "d", "effect": "NoSchedule"}]}}},
        "nodes.NODE.taints[1]",
    ),
    ({"nodes": {"NODE": {"taints": {"key": "d"}}}}, "nodes.NODE.taints"),
    (
        {"nodes": {"NODE": {"labels": {"a": "b"}}}, "owned_label_prefixes": ["kubernetes.io/"]},
        "owned_label_prefixes[0]",
    ),
    ({"nodes": {"NODE": {"labels": {"a": "b"}}}, "owned_taint_keys": ["bad key"]}, "owned_taint_keys[0]"),
    ({"nodes": {"NODE": {"labels": {"a": "b"}}}, "parallelism": 0}, "parallelism"),
    ({"nodes": {"NODE": {"labels": {"a": "b"}}}, "parallelism": 65}, "parallelism"),
    ({"nodes": {"NODE": {"labels": {"a": "b"}}}, "missing_nodes": "ignore"}, "missing_nodes"),
    ({"nodes": {"ip-10-9-9-9.nowhere.compute.internal": {"labels": {"a": "b"}}}}, "do not exist"),
]


@pytest.fixture(scope="module")
def bad_input_results(two_nodes):
    """All bad requests in one playbook run; each keeps a valid node beside the bad one, so a
    module that wrote the valid node before rejecting the bad one would show in the write count."""
    calls = []
    for args, _field in BAD_INPUT:
        nodes = {k.replace("NODE", two_nodes[0]): v for k, v in args["nodes"].items()}
        nodes[two_nodes[1]] = {"labels": {"valid": "yes"}}
        calls.append({**args, "nodes": nodes})
    mark = sandbox_mark()
    results = run_module_many(MODULE, calls)
    return results, sandbox_writes(mark)


def test_the_bad_input_matrix_writes_nothing(bad_input_results):
    results, writes = bad_input_results
    assert len(results) == len(BAD_INPUT) >= 15
    assert "kubernetes" not in writes


@pytest.mark.parametrize("case", range(len(BAD_INPUT)), ids=[field.split(":")[0] for _args, field in BAD_INPUT])
def test_bad_input_fails_naming_the_field(two_nodes, bad_input_results, case):
    result = bad_input_results[0][case]
    assert result.get("failed") is True, result
    assert BAD_INPUT[case][1].replace("NODE", two_nodes[0]) in result["msg"]
