"""node_topology's rules: validation names the field; planning owns only what it should."""

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.k8s_syntax import SyntaxProblem
from ansible_collections.bespin.platform.plugins.module_utils.node_topology import plan_node, validate_request

NODE = "ip-10-0-11-23.ap-northeast-2.compute.internal"


def request(labels=None, taints=None, **node_fields):
    spec = {}
    if labels is not None:
        spec["labels"] = labels
    if taints is not None:
        spec["taints"] = taints
    spec.update(node_fields)
    return {NODE: spec}


BAD_INPUTS = [
    (request(labels={"-bad": "x"}), f"nodes.{NODE}.labels"),
    (request(labels={"a" * 64: "x"}), f"nodes.{NODE}.labels"),
    (request(labels={"Bad_Prefix.io/x": "y"}), "prefix 'Bad_Prefix.io'"),
    (request(labels={"example.com/" + "n" * 64: "x"}), "must be at most 63"),
    (request(labels={"domain": "a" * 64}), f"nodes.{NODE}.labels.domain"),
    (request(labels={"domain": "bad value"}), f"nodes.{NODE}.labels.domain"),
    (request(labels={"phase": 1}), "quote numbers"),
    (request(labels={"node-role.kubernetes.io/worker": ""}), "reserved for Kubernetes"),
    (request(labels={"k8s.io/owner": "me"}), "reserved for Kubernetes"),
    (request(labels=["domain=auth"]), f"nodes.{NODE}.labels: must be a mapping"),
    (request(taints={"key": "a"}), f"nodes.{NODE}.taints: must be a list"),
    (request(taints=[{"key": "domain", "value": "auth", "effect": "NoScheduel"}]), "taints[0].effect"),
    (request(taints=[{"value": "auth", "effect": "NoSchedule"}]), "taints[0].key"),
    (request(taints=[{"key": "domain", "value": "a b", "effect": "NoSchedule"}]), "taints[0].value"),
    (
        request(taints=[{"key": "d", "effect": "NoSchedule"}, {"key": "d", "value": "x", "effect": "NoSchedule"}]),
        "taints[1]: duplicate taint d:NoSchedule",
    ),
    (request(taints=[{"key": "d", "effect": "NoSchedule", "operator": "Exists"}]), "taints[0]: unknown field"),
    (request(taints=[{"key": "kubernetes.io/x", "effect": "NoSchedule"}]), "taints[0].key"),
    (request(annotations={"a": "b"}), "unknown field(s) annotations"),
    ({NODE: "domain=auth"}, f"nodes.{NODE}: must be a mapping"),
]


@pytest.mark.parametrize(("nodes", "field"), BAD_INPUTS)
def test_bad_input_is_refused_naming_the_field(nodes, field):
    with pytest.raises(SyntaxProblem) as problem:
        validate_request(nodes, [], [])
    assert field in str(problem.value)


@pytest.mark.parametrize(
    ("prefixes", "keys", "field"),
    [
        ([""], [], "owned_label_prefixes[0]"),
        (["kubernetes.io/"], [], "owned_label_prefixes[0]"),
        ([], ["bad key"], "owned_taint_keys[0]"),
    ],
)
def test_bad_ownership_options_are_refused(prefixes, keys, field):
    with pytest.raises(SyntaxProblem, match=field.replace("[", r"\[").replace("]", r"\]")):
        validate_request({}, prefixes, keys)


def test_allowed_kubernetes_keys_pass():
    validate_request(
        request(labels={"topology.kubernetes.io/zone": "ap-northeast-2a", "node.kubernetes.io/pool": "x"}), [], []
    )


def node(labels, taints=None, resource_version="42"):
    return {
        "metadata": {"name": NODE, "labels": labels, "resourceVersion": resource_version},
        "spec": {"taints": taints or []},
    }


def plan(current, nodes, prefixes=(), keys=()):
    spec = validate_request(nodes, list(prefixes), list(keys))[NODE]
    return plan_node(current, spec, list(prefixes), list(keys))


def test_matching_node_needs_no_change():
    current = node({"domain": "auth", "x": "y"}, [{"key": "domain", "value": "auth", "effect": "NoSchedule"}])
    nodes = request({"domain": "auth"}, [{"key": "domain", "value": "auth", "effect": "NoSchedule"}])
    assert plan(current, nodes, ["domain"], ["domain"]) is None


def test_labels_set_removed_and_owned_cleaned_foreign_kept():
    current = node({"domain": "chat", "phase": "2", "team": "core", "bespin.io/old": "1"})
    result = plan(current, request({"domain": "auth", "phase": None}), ["domain", "phase", "bespin.io/"])
    assert result["patch"]["metadata"] == {
        "resourceVersion": "42",
        "labels": {"domain": "auth", "phase": None, "bespin.io/old": None},
    }
    assert "spec" not in result["patch"]
    assert result["summary"]["labels_removed"] == ["bespin.io/old", "phase"]
    assert result["after"]["labels"] == {"domain": "auth", "team": "core"}


def test_taints_owned_replaced_foreign_and_controller_taints_kept():
    controller = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute", "timeAdded": "2026-11-22T00:00:00Z"}
    foreign = {"key": "team", "value": "core", "effect": "PreferNoSchedule"}
    stale = {"key": "domain", "value": "chat", "effect": "NoExecute"}
    current = node({}, [controller, foreign, stale])
    result = plan(current, request(taints=[{"key": "domain", "value": "auth", "effect": "NoSchedule"}]), [], ["domain"])
    assert result["patch"]["spec"]["taints"] == [
        controller,
        foreign,
        {"key": "domain", "value": "auth", "effect": "NoSchedule"},
    ]
    assert result["summary"]["taints_added"] == ["domain=auth:NoSchedule"]
    assert result["summary"]["taints_removed"] == ["domain=chat:NoExecute"]


def test_declared_taint_replaces_its_key_and_effect_even_when_not_owned():
    current = node({}, [{"key": "dedicated", "value": "old", "effect": "NoSchedule"}])
    result = plan(current, request(taints=[{"key": "dedicated", "value": "new", "effect": "NoSchedule"}]))
    assert result["patch"]["spec"]["taints"] == [{"key": "dedicated", "value": "new", "effect": "NoSchedule"}]


def test_taint_order_alone_is_no_change():
    a = {"key": "a", "effect": "NoSchedule"}
    b = {"key": "b", "value": "1", "effect": "NoExecute"}
    assert plan(node({}, [b, a]), request(taints=[a, b])) is None


def test_empty_taint_value_matches_a_taint_without_value():
    current = node({}, [{"key": "gpu", "effect": "NoSchedule"}])
    assert plan(current, request(taints=[{"key": "gpu", "value": "", "effect": "NoSchedule"}])) is None
