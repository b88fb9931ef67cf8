"""k8s_objects' plan: input checks, discovery, check-mode prediction, read grouping, operations, diffs."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.k8s_compare import MASKED, MASKED_CHANGED
from ansible_collections.bespin.platform.plugins.module_utils.k8s_objects_plan import (
    assume_missing,
    crd_kinds,
    decide,
    diff_entry,
    entry,
    found_in_list,
    group_version_path,
    in_order,
    namespaces_read_first,
    option_problems,
    parse_objects,
    reads,
    resolve,
    secret_values,
    served_resources,
)

CORE = {
    ("v1", "Namespace"): {"name": "namespaces", "namespaced": False},
    ("v1", "ConfigMap"): {"name": "configmaps", "namespaced": True},
    ("v1", "Secret"): {"name": "secrets", "namespaced": True},
    ("apps/v1", "Deployment"): {"name": "deployments", "namespaced": True},
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): {
        "name": "customresourcedefinitions",
        "namespaced": False,
    },
}


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def config_map(name, ns="shop", **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def secret(name, ns="shop", **string_data):
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "stringData": string_data,
    }


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget"},
        "versions": [{"name": "v1", "served": True, "storage": True}, {"name": "v0", "served": False}],
    },
}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop"}}


def planned(objects, served=None, state="present", kinds_to_come=False):
    items, problems = parse_objects(objects, state)
    assert problems == []
    problems = resolve(items, {**CORE, **(served or {})}, state, kinds_to_come)
    return items, problems


def absent_namespaces(items, *names):
    """What reading the Namespace items found: those named are missing, the others exist."""
    return {
        item.identity(): None if item.name in names else {"metadata": {"name": item.name}}
        for item in namespaces_read_first(items)
    }


# Input checks


def test_plain_definitions_and_wrappers_are_both_accepted():
    items, problems = parse_objects(
        [
            config_map("a"),
            {"definition": CRD, "wait": "Established"},
            {"definition": config_map("b"), "state": "absent"},
        ]
    )
    assert problems == []
    assert [(i.where, i.kind, i.state, i.wait) for i in items] == [
        ("objects[0]", "ConfigMap", "present", None),
        ("objects[1].definition", "CustomResourceDefinition", "present", "Established"),
        ("objects[2].definition", "ConfigMap", "absent", None),
    ]


def test_every_bad_field_is_named_by_its_path_at_once():
    objects = [
        namespace("Bad_NS"),
        {**config_map("ok", ns="x y", n=5), "metadata": {"name": "ok", "namespace": "x y", "labels": {"a/b/c": "v"}}},
        {"definition": {**secret("s"), "data": {"k": "not base64!"}}, "state": "maybe", "wait": 3, "extra": 1},
        "a string",
        {"apiVersion": "", "kind": "configmap", "metadata": {}},
        {"definition": "not a mapping"},
        {"metadata": {"name": "no-kind"}},
        {"apiVersion": "v1", "kind": "ConfigMap"},
    ]
    items, problems = parse_objects(objects)
    assert items == []
    assert [p.split(" ", maxsplit=1)[0].rstrip(":") for p in problems] == [
        "objects[0].metadata.name",
        "objects[1].metadata.namespace",
        'objects[1].metadata.labels["a/b/c"]',
        "objects[1].data.n",
        "objects[2]",
        "objects[2].state",
        "objects[2].wait",
        "objects[2].definition.data.k",
        "objects[3]",
        "objects[4].apiVersion",
        "objects[4].kind",
        "objects[4].metadata.name",
        "objects[5].definition",
        "objects[6]",
        "objects[7].metadata",
    ]


def test_a_label_value_and_a_long_name_are_checked():
    bad = {**config_map("x" * 254), "metadata": {"name": "x" * 254, "labels": {"tier": "not valid!"}}}
    _items, problems = parse_objects([bad])
    assert [p.split(" ", maxsplit=1)[0].rstrip(":") for p in problems] == [
        "objects[0].metadata.name",
        "objects[0].metadata.labels.tier",
    ]


def test_rbac_names_may_hold_colons():
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:x"}}
    assert parse_objects([role])[1] == []
    assert parse_objects([{**role, "metadata": {"name": "a/b"}}])[1][0].startswith("objects[0].metadata.name ")


def test_the_same_object_twice_is_refused():
    _items, problems = parse_objects([config_map("a"), config_map("a", x="1")])
    assert problems == ["objects[1].metadata.name: ConfigMap shop/a is already declared at objects[0]"]


def test_a_wait_with_an_explicit_absent_is_refused_but_the_module_state_drops_it():
    wrapper = {"definition": CRD, "wait": "Established"}
    assert parse_objects([{**wrapper, "state": "absent"}])[1] == ["objects[0].wait is only for state present"]
    items, problems = parse_objects([wrapper], state="absent")
    assert problems == [] and items[0].wait is None and items[0].state == "absent"


def test_module_options_are_checked():
    assert option_problems({"wait_timeout": 300, "field_manager": "bespin.platform"}) == []
    assert [p.split(" ", maxsplit=1)[0] for p in option_problems({"wait_timeout": 0, "field_manager": " "})] == [
        "wait_timeout",
        "field_manager",
    ]


# Discovery and ordering


def test_group_version_paths():
    assert group_version_path("v1") == "/api/v1"
    assert group_version_path("apps/v1") == "/apis/apps/v1"


def test_discovery_leaves_subresources_out():
    answer = {
        "resources": [
            {"name": "pods", "kind": "Pod", "namespaced": True},
            {"name": "pods/status", "kind": "Pod", "namespaced": True},
            {"name": "namespaces", "kind": "Namespace", "namespaced": False},
        ]
    }
    assert served_resources(answer) == {
        "Pod": {"name": "pods", "namespaced": True},
        "Namespace": {"name": "namespaces", "namespaced": False},
    }
    assert served_resources({}) == {}


def test_urls_and_namespaces_come_from_discovery():
    cluster_scoped = {**namespace("shop"), "metadata": {"name": "shop", "namespace": "ignored"}}
    no_namespace = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    items, problems = planned([cluster_scoped, no_namespace, config_map("a")])
    assert problems == []
    assert [i.path for i in items] == [
        "/api/v1/namespaces/shop",
        "/api/v1/namespaces/default/configmaps/c",
        "/api/v1/namespaces/shop/configmaps/a",
    ]
    assert "namespace" not in items[0].body["metadata"]
    assert items[1].body["metadata"]["namespace"] == "default"
    assert items[1].definition["metadata"] == {"name": "c"}, "the definition itself was changed"


def test_a_kind_nothing_serves_is_a_problem_unless_absent():
    items, problems = planned([WIDGET])
    assert problems == [
        "objects[0].kind Widget is not served by the API at example.com/v1, and no CustomResourceDefinition "
        "earlier in objects defines it"
    ]
    items, problems = planned([WIDGET], state="absent")
    assert problems == []
    assert decide(items[0], None) == ("none", [])
    assert reads(items, {}) == []


def test_a_kind_an_earlier_task_brings_is_predicted_created_not_read():
    items, problems = planned([namespace("shop"), WIDGET], kinds_to_come=True)
    assert problems == []
    widget = items[1]
    assert (widget.served, widget.resource, widget.kind_from) == (False, None, "an earlier task")
    found = absent_namespaces(items)
    assume_missing(items, found)
    assert widget.missing_because == "its kind is not served yet (an earlier task brings it)"
    assert reads(items, found) == []
    assert decide(widget, None) == ("create", [])


def test_a_crd_later_in_the_list_does_not_define_an_earlier_kind():
    _items, problems = planned([WIDGET, CRD])
    assert len(problems) == 1 and problems[0].startswith("objects[0].kind Widget")


def test_crd_kinds_are_those_of_served_versions():
    assert crd_kinds(CRD) == {("example.com/v1", "Widget"): {"name": "widgets", "namespaced": True}}
    assert crd_kinds({"spec": {}}) == {}


def test_absent_for_the_module_runs_in_reverse_order():
    items, _problems = planned(
        [namespace("shop"), CRD, WIDGET], served={("example.com/v1", "Widget"): None}, state="absent"
    )
    assert [i.kind for i in in_order(items, "absent")] == ["Widget", "CustomResourceDefinition", "Namespace"]
    assert [i.kind for i in in_order(items, "present")] == ["Namespace", "CustomResourceDefinition", "Widget"]


# Check-mode prediction and reads


def test_objects_in_a_namespace_created_earlier_are_known_missing():
    items, _problems = planned([namespace("shop"), config_map("a"), secret("s", dsn="p"), config_map("b", ns="other")])
    found = absent_namespaces(items, "shop")
    assume_missing(items, found)
    assert [i.missing_because for i in items] == [
        None,
        "its namespace comes from objects[0], not created yet",
        "its namespace comes from objects[0], not created yet",
        None,
    ]
    # Only the object in the other namespace is read: the Namespace was read first, shop's objects cannot exist.
    assert [(m, p) for m, p, _members in reads(items, found)] == [("GET", "/api/v1/namespaces/other/configmaps/b")]


def test_objects_in_a_namespace_that_exists_are_read():
    items, _problems = planned([namespace("shop"), config_map("a")])
    found = absent_namespaces(items)
    assume_missing(items, found)
    assert [i.missing_because for i in items] == [None, None]
    assert [(m, p) for m, p, _members in reads(items, found)] == [("GET", "/api/v1/namespaces/shop/configmaps/a")]


def test_a_namespace_created_later_in_the_list_does_not_count():
    items, _problems = planned([config_map("a"), namespace("shop")])
    found = absent_namespaces(items, "shop")
    assume_missing(items, found)
    assert items[0].missing_because is None


def test_a_custom_resource_of_a_crd_created_earlier_is_known_missing():
    items, problems = planned([CRD, WIDGET])
    assert problems == []
    widget = items[1]
    assert (widget.served, widget.kind_from, widget.path) == (
        False,
        0,
        "/apis/example.com/v1/namespaces/shop/widgets/w",
    )
    assume_missing(items, {})
    assert widget.missing_because == "its kind comes from objects[0], not served yet"
    assert [p for _m, p, _members in reads(items, {})] == [
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"
    ]
    assert decide(widget, None) == ("create", [])


def test_a_custom_resource_whose_kind_is_served_is_read():
    items, problems = planned(
        [CRD, WIDGET], served={("example.com/v1", "Widget"): {"name": "widgets", "namespaced": True}}
    )
    assert problems == [] and items[1].kind_from is None
    assume_missing(items, {})
    assert len(reads(items, {})) == 2


def test_objects_of_one_kind_and_namespace_are_read_with_one_list():
    items, _problems = planned(
        [config_map("a"), config_map("b"), config_map("c", ns="other"), secret("s"), namespace("x"), namespace("y")]
    )
    requests = [(method, path, [i.name for i in members]) for method, path, members in reads(items, {})]
    assert requests == [
        ("LIST", "/api/v1/namespaces/shop/configmaps", ["a", "b"]),
        ("GET", "/api/v1/namespaces/other/configmaps/c", ["c"]),
        ("GET", "/api/v1/namespaces/shop/secrets/s", ["s"]),
        ("LIST", "/api/v1/namespaces", ["x", "y"]),
    ]


def test_what_was_read_already_is_not_read_again():
    items, _problems = planned([namespace("shop"), config_map("a")])
    found = absent_namespaces(items)
    assert [p for _m, p, _members in reads(items, found)] == ["/api/v1/namespaces/shop/configmaps/a"]


def test_a_list_answer_gives_each_item_or_none():
    items, _problems = planned([config_map("a"), config_map("b")])
    listed = {"kind": "ConfigMapList", "items": [{"metadata": {"name": "a"}, "data": {}}]}
    found = found_in_list(items, listed)
    assert found[items[0].identity()] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a"},
        "data": {},
    }
    assert found[items[1].identity()] is None


# Operations, diffs, results


def test_operations():
    items, _problems = planned([config_map("a", x="1"), {"definition": config_map("b"), "state": "absent"}])
    want, gone = items
    live_a = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "shop"},
        "data": {"x": "1"},
    }
    assert decide(want, None) == ("create", [])
    assert decide(want, live_a) == ("none", [])
    assert decide(want, {**live_a, "data": {"x": "2"}}) == ("update", ["data.x"])
    assert decide(gone, None) == ("none", [])
    live_b = {"metadata": {"name": "b"}}
    assert decide(gone, live_b) == ("delete", [])
    assert decide(gone, {"metadata": {"name": "b", "deletionTimestamp": "2026-01-01T00:00:00Z"}}) == ("none", [])


def test_a_secret_diff_masks_every_value():
    items, _problems = planned([secret("s", dsn="postgres://new", user="admin")])
    live = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "shop"},
        "data": {"dsn": base64.b64encode(b"postgres://old").decode(), "user": base64.b64encode(b"admin").decode()},
    }
    assert decide(items[0], live) == ("update", ["stringData.dsn"])
    before, after = diff_entry(items[0], live, "update")
    assert before["stringData"] == {"dsn": MASKED, "user": MASKED}
    assert after["stringData"] == {"dsn": MASKED_CHANGED, "user": MASKED}
    for text in ("postgres://new", "postgres://old", "admin"):
        assert text not in str(before) + str(after)


def test_diffs_of_creates_and_deletes():
    items, _problems = planned([config_map("a", x="1")])
    assert diff_entry(items[0], None, "create") == ({}, items[0].body)
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "shop", "uid": "u"}}
    before, after = diff_entry(items[0], live, "delete")
    assert after == {} and before == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "shop"},
    }


def test_secret_values_are_collected_for_no_log():
    encoded = base64.b64encode(b"from-data").decode()
    elements = [secret("s", dsn="p4ss"), {**config_map("c"), "data": {"k": "visible"}},
                {**secret("t"), "data": {"k": encoded}}]  # fmt: skip
    items, _problems = parse_objects(elements)
    assert secret_values(items) == {"p4ss", encoded, "from-data"}


def test_result_entries():
    items, _problems = planned([namespace("shop"), config_map("a")])
    assert entry(items[0], "create", []) == {
        "api_version": "v1",
        "kind": "Namespace",
        "name": "shop",
        "namespace": "",
        "operation": "create",
        "differences": [],
    }
    assert entry(items[1], "update", ["data.x"])["namespace"] == "shop"


@pytest.mark.parametrize("state", ["present", "absent"])
def test_namespaces_are_read_first_only_to_create(state):
    items, _problems = planned([namespace("shop"), config_map("a")], state=state)
    assert [i.kind for i in namespaces_read_first(items)] == (["Namespace"] if state == "present" else [])
