"""Comparing declared Kubernetes definitions with live objects: subsets, empties, lists, Secrets, masking."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.k8s_compare import (
    MASKED,
    MASKED_CHANGED,
    differing_paths,
    differs,
    empty,
    k8s_needs_update,
    live_declared,
    masked,
    object_differences,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app.kubernetes.io/name": "web"}},
    "spec": {
        "replicas": 2,
        "template": {"spec": {"containers": [{"name": "web", "image": "web:1", "ports": [{"containerPort": 80}]}]}},
    },
}


def live_deployment(**spec):
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "labels": {"app.kubernetes.io/name": "web", "other": "x"},
            "resourceVersion": "7",
            "managedFields": [{"manager": "bespin.platform"}],
        },
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "web:1",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        }
                    ]
                }
            },
        },
        "status": {"replicas": 2},
    }
    obj["spec"].update(spec)
    return obj


def test_a_live_object_with_more_fields_does_not_differ():
    assert object_differences(DEPLOYMENT, live_deployment()) == []
    assert not differs(DEPLOYMENT, live_deployment())


def test_each_differing_field_is_named_by_its_path():
    assert object_differences(DEPLOYMENT, live_deployment(replicas=3)) == ["spec.replicas"]
    changed = live_deployment()
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "web:2"
    changed["metadata"]["labels"]["app.kubernetes.io/name"] = "shop"
    assert object_differences(DEPLOYMENT, changed) == [
        'metadata.labels["app.kubernetes.io/name"]',
        "spec.template.spec.containers[0].image",
    ]


def test_a_list_of_another_length_is_named_as_a_whole():
    extra = {"name": "sidecar", "image": "proxy:1"}
    changed = live_deployment()
    changed["spec"]["template"]["spec"]["containers"].append(extra)
    assert object_differences(DEPLOYMENT, changed) == ["spec.template.spec.containers"]
    assert differing_paths(["a", "b"], ["b", "a"]) == ["[0]", "[1]"]
    assert differing_paths({"l": ["a"]}, {"l": "a"}) == ["l"]


@pytest.mark.parametrize("value", [None, False, "", [], {}])
def test_empty_values_match_a_field_left_out(value):
    assert empty(value)
    assert differing_paths({"spec": {"field": value}}, {"spec": {}}) == []
    assert differing_paths({"spec": {"field": value}}, {"spec": {"field": None}}) == []


def test_zero_is_not_empty_and_a_set_field_differs_from_an_empty_one():
    assert not empty(0)
    assert differing_paths({"replicas": 0}, {}) == ["replicas"]
    assert differing_paths({"prune": False}, {"prune": True}) == ["prune"]
    assert differing_paths({"labels": {}}, {"labels": {"a": "b"}}) == []


def test_scalars_compare_by_their_text():
    assert differing_paths({"port": 80}, {"port": "80"}) == []
    assert differing_paths({"port": 80}, {"port": 81}) == ["port"]


def test_the_filter_semantics_are_kept():
    assert k8s_needs_update(DEPLOYMENT, None) is True
    assert k8s_needs_update(DEPLOYMENT, {}) is True
    assert k8s_needs_update(DEPLOYMENT, live_deployment()) is False
    assert k8s_needs_update(DEPLOYMENT, live_deployment(replicas=1)) is True


def test_declared_status_is_not_compared():
    assert object_differences({**DEPLOYMENT, "status": {"replicas": 9}}, live_deployment()) == []


SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "db", "namespace": "shop"},
    "stringData": {"dsn": "hunter2"},
    "data": {"user": b64("admin")},
}


def live_secret(**data):
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "db", "namespace": "shop"},
        "data": {"dsn": b64("hunter2"), "user": b64("admin"), **data},
    }


def test_secret_string_data_is_compared_with_the_decoded_data():
    assert object_differences(SECRET, live_secret()) == []
    assert object_differences(SECRET, live_secret(dsn=b64("other"))) == ["stringData.dsn"]
    assert object_differences(SECRET, live_secret(user=b64("root"))) == ["data.user"]
    missing = live_secret()
    del missing["data"]["dsn"]
    assert object_differences(SECRET, missing) == ["stringData.dsn"]
    assert object_differences(SECRET, {**live_secret(), "data": None}) == ["stringData.dsn", "data"]


def test_string_data_against_data_that_is_not_text_differs():
    assert object_differences(SECRET, live_secret(dsn="!!not base64")) == ["stringData.dsn"]


def test_string_data_only_applies_to_secrets():
    # Another kind's stringData (a CRD's field, say) compares as any other field.
    other = {"kind": "Thing", "stringData": {"a": "b"}}
    assert object_differences(other, {"kind": "Thing", "data": {"a": b64("b")}}) == ["stringData"]


def test_masked_secret_hides_every_value_and_shows_which_changed():
    before = live_declared(SECRET, live_secret(dsn=b64("old")))
    assert before["stringData"] == {"dsn": "old"}
    assert before["data"] == {"user": b64("admin")}
    shown_before, shown_after = masked(before), masked(SECRET, against=before)
    assert shown_before["stringData"] == {"dsn": MASKED} and shown_before["data"] == {"user": MASKED}
    assert shown_after["stringData"] == {"dsn": MASKED_CHANGED}
    assert shown_after["data"] == {"user": MASKED}
    assert "old" not in str(shown_before) and "hunter2" not in str(shown_after)
    assert SECRET["stringData"]["dsn"] == "hunter2", "masking changed the definition"


def test_other_kinds_are_not_masked():
    config = {"kind": "ConfigMap", "data": {"a": "b"}}
    assert masked(config) is config


def test_the_live_view_keeps_only_declared_fields():
    view = live_declared(DEPLOYMENT, live_deployment(replicas=3))
    assert view["spec"]["replicas"] == 3
    assert "status" not in view and "resourceVersion" not in view["metadata"]
    assert view["metadata"]["labels"] == {"app.kubernetes.io/name": "web"}
    # List items keep their declared fields; extra live items stay visible.
    assert view["spec"]["template"]["spec"]["containers"] == [
        {"name": "web", "image": "web:1", "ports": [{"containerPort": 80}]}
    ]
    assert live_declared(DEPLOYMENT, None) == {}
