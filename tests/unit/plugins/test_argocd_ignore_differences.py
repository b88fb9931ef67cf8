"""The system-level ignoreDifferences settings the argocd role writes into argocd-cm."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.filter.argocd_ignore_differences import argocd_ignore_differences


def test_one_key_per_group_and_kind_core_group_by_kind_alone():
    settings = argocd_ignore_differences(
        [
            {"group": "argoproj.io", "kind": "Rollout", "jsonPointers": ["/spec/replicas"]},
            {"group": "", "kind": "Service", "jqPathExpressions": [".spec.clusterIP"]},
        ]
    )
    assert sorted(settings) == [
        "resource.customizations.ignoreDifferences.Service",
        "resource.customizations.ignoreDifferences.argoproj.io_Rollout",
    ]
    assert yaml.safe_load(settings["resource.customizations.ignoreDifferences.argoproj.io_Rollout"]) == {
        "jsonPointers": ["/spec/replicas"]
    }


def test_rules_for_the_same_kind_merge_without_repeats():
    settings = argocd_ignore_differences(
        [
            {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
            {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas", "/spec/paused"]},
            {"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["kube-controller-manager"]},
        ]
    )
    assert yaml.safe_load(settings["resource.customizations.ignoreDifferences.apps_Deployment"]) == {
        "jsonPointers": ["/spec/replicas", "/spec/paused"],
        "managedFieldsManagers": ["kube-controller-manager"],
    }


def test_rules_naming_an_object_stay_on_the_application():
    assert (
        argocd_ignore_differences([{"group": "apps", "kind": "Deployment", "name": "web", "jsonPointers": ["/x"]}])
        == {}
    )


@pytest.mark.parametrize("rules", [{"kind": "Deployment"}, [{"group": "apps"}], ["Deployment"]])
def test_malformed_rules_are_refused(rules):
    with pytest.raises(AnsibleFilterError):
        argocd_ignore_differences(rules)
