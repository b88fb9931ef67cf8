"""The compare-before-write decision of roles whose reruns must write nothing."""

from __future__ import annotations

from ansible_collections.bespin.platform.plugins.filter.k8s_needs_update import k8s_needs_update

DESIRED = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "root", "namespace": "argocd", "labels": {"team": "platform"}, "finalizers": []},
    "spec": {
        "project": "default",
        "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}],
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"], "retry": {"limit": 5}},
    },
}


def live(**changes):
    obj = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "root",
            "namespace": "argocd",
            "labels": {"team": "platform", "added-by-someone-else": "x"},
            "resourceVersion": "42",
        },
        "spec": {
            "project": "default",
            "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}],
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"], "retry": {"limit": "5"}},
        },
        "status": {"sync": {"status": "Synced"}},
    }
    obj["spec"].update(changes)
    return obj


def test_missing_object_needs_writing():
    assert k8s_needs_update(DESIRED, {}) is True
    assert k8s_needs_update(DESIRED, None) is True


def test_same_fields_with_extra_live_fields_and_dropped_empty_list_need_nothing():
    assert k8s_needs_update(DESIRED, live()) is False


def test_a_changed_scalar_needs_writing():
    assert k8s_needs_update(DESIRED, live(project="other")) is True


def test_a_changed_list_item_or_length_needs_writing():
    assert k8s_needs_update(DESIRED, live(ignoreDifferences=[])) is True
    extra = [*DESIRED["spec"]["ignoreDifferences"], {"group": "", "kind": "Service"}]
    assert k8s_needs_update(DESIRED, live(ignoreDifferences=extra)) is True
    assert k8s_needs_update(DESIRED, live(syncPolicy={"syncOptions": ["Prune=false"], "retry": {"limit": 5}})) is True


def test_a_missing_label_needs_writing():
    current = live()
    current["metadata"]["labels"] = {}
    assert k8s_needs_update(DESIRED, current) is True


def test_a_false_bool_equals_one_a_controller_dropped():
    # Argo CD writes the whole Application back with Go's omitempty: `prune: false` disappears.
    desired = {"spec": {"syncPolicy": {"automated": {"prune": False, "selfHeal": True}}}}
    assert not k8s_needs_update(desired, {"spec": {"syncPolicy": {"automated": {"selfHeal": True}}}})
    assert k8s_needs_update(desired, {"spec": {"syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}})
    assert k8s_needs_update(desired, {"spec": {"syncPolicy": {"automated": {"prune": False}}}})
