"""eks_addon_plan: the request's own checks, and only what the user set is compared and sent."""

from __future__ import annotations

import json

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_plan import (
    RequestError,
    create_parameters,
    current_settings,
    desired_settings,
    plan_update,
    settings_after,
    update_parameters,
    validate_pod_identity_accounts,
    validate_request,
)

ROLE = "arn:aws:iam::123456789012:role/petclinic-cni"
OTHER_ROLE = "arn:aws-cn:iam::123456789012:role/platform/ebs-csi"
ADDON = {
    "addonName": "vpc-cni",
    "addonVersion": "v1.20.1-eksbuild.3",
    "configurationValues": "env:\n  WARM_IP_TARGET: '5'\nenableNetworkPolicy: 'true'\n",
    "tags": {"team": "platform", "aws:created-by": "eks"},
    "podIdentityAssociations": ["arn:aws:eks:ap-northeast-2:123456789012:podidentityassociation/petclinic/a-1"],
}


def params(**given):
    base = dict(
        resolve_conflicts_on_create=None,
        wait_timeout=1200,
        service_account_role_arn=None,
        pod_identity_associations=None,
        configuration_values=None,
        tags=None,
    )
    return base | given


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (dict(resolve_conflicts_on_create="PRESERVE"), "resolve_conflicts_on_create: PRESERVE"),
        (dict(wait_timeout=0), "wait_timeout: 0"),
        (dict(service_account_role_arn="petclinic-cni"), "service_account_role_arn: 'petclinic-cni'"),
        (dict(service_account_role_arn="arn:aws:iam::12:role/x"), "service_account_role_arn"),
        (dict(pod_identity_associations={"Aws_Node": ROLE}), "pod_identity_associations.Aws_Node"),
        (dict(pod_identity_associations={"aws-node": "role/x"}), "pod_identity_associations.aws-node: 'role/x'"),
        (dict(pod_identity_associations={"aws-node": None}), "pod_identity_associations.aws-node: None"),
    ],
)
def test_bad_requests_name_the_option(given, field):
    with pytest.raises(RequestError) as raised:
        validate_request(params(**given))
    assert str(raised.value).startswith(field)


def test_good_requests_pass():
    validate_request(params(service_account_role_arn=OTHER_ROLE, pod_identity_associations={"aws-node": ROLE}))
    validate_request(params(service_account_role_arn="", resolve_conflicts_on_create="OVERWRITE"))


def test_pod_identity_service_accounts_must_be_the_add_ons():
    validate_pod_identity_accounts({"aws-node": ROLE}, ["aws-node"], "vpc-cni", "v1")
    with pytest.raises(RequestError, match=r"^pod_identity_associations\.cni: .*service accounts: aws-node$"):
        validate_pod_identity_accounts({"cni": ROLE}, ["aws-node"], "vpc-cni", "v1")


def test_unset_options_are_neither_compared_nor_sent():
    current = current_settings(ADDON, {"aws-node": ROLE})
    changes, to_set, to_remove = plan_update(current, desired_settings(params(), None))
    assert (changes, to_set, to_remove) == ({}, {}, [])


def test_configuration_is_compared_as_data_not_text():
    current = current_settings(ADDON, {})
    same = {"enableNetworkPolicy": "true", "env": {"WARM_IP_TARGET": "5"}}
    assert plan_update(current, desired_settings(params(configuration_values=same), None))[0] == {}
    other = {"enableNetworkPolicy": "false", "env": {"WARM_IP_TARGET": "5"}}
    changes = plan_update(current, desired_settings(params(configuration_values=other), None))[0]
    assert changes == {"configuration_values": other}
    sent = update_parameters("petclinic", "vpc-cni", changes, "PRESERVE")
    assert json.loads(sent["configurationValues"]) == other
    assert sent["resolveConflicts"] == "PRESERVE"


def test_empty_configuration_clears_it():
    changes = plan_update(current_settings(ADDON, {}), desired_settings(params(configuration_values={}), None))[0]
    assert update_parameters("petclinic", "vpc-cni", changes)["configurationValues"] == "{}"


def test_version_role_and_associations_changes():
    current = current_settings(ADDON, {"aws-node": ROLE})
    desired = desired_settings(
        params(service_account_role_arn=OTHER_ROLE, pod_identity_associations={"aws-node": OTHER_ROLE}),
        "v1.20.4-eksbuild.2",
    )
    changes = plan_update(current, desired)[0]
    assert update_parameters("petclinic", "vpc-cni", changes) == {
        "clusterName": "petclinic",
        "addonName": "vpc-cni",
        "addonVersion": "v1.20.4-eksbuild.2",
        "serviceAccountRoleArn": OTHER_ROLE,
        "podIdentityAssociations": [{"serviceAccount": "aws-node", "roleArn": OTHER_ROLE}],
    }


def test_empty_role_matches_an_add_on_without_one():
    current = current_settings(ADDON, {})
    assert plan_update(current, desired_settings(params(service_account_role_arn=""), None))[0] == {}


def test_empty_associations_remove_the_owned_ones():
    current = current_settings(ADDON, {"aws-node": ROLE})
    changes = plan_update(current, desired_settings(params(pod_identity_associations={}), None))[0]
    assert update_parameters("petclinic", "vpc-cni", changes)["podIdentityAssociations"] == []


def test_tags_purge_spares_aws_reserved_keys():
    current = current_settings(ADDON, {})
    _changes, to_set, to_remove = plan_update(current, desired_settings(params(tags={"env": "prod"}), None))
    assert (to_set, to_remove) == ({"env": "prod"}, ["team"])
    after = settings_after(current, {}, to_set, to_remove)
    assert after["tags"] == {"aws:created-by": "eks", "env": "prod"}
    _changes, to_set, to_remove = plan_update(current, desired_settings(params(tags={"env": "prod"}), None), False)
    assert (to_set, to_remove) == ({"env": "prod"}, [])


def test_create_sends_only_what_is_set():
    desired = desired_settings(params(), "v1.20.4-eksbuild.2")
    assert create_parameters("petclinic", "vpc-cni", desired) == {
        "clusterName": "petclinic",
        "addonName": "vpc-cni",
        "addonVersion": "v1.20.4-eksbuild.2",
    }
    desired = desired_settings(
        params(configuration_values={"a": 1}, pod_identity_associations={"aws-node": ROLE}, tags={"t": "v"}), "v1"
    )
    sent = create_parameters("petclinic", "vpc-cni", desired, "OVERWRITE")
    assert sent["configurationValues"] == '{"a":1}'
    assert sent["podIdentityAssociations"] == [{"serviceAccount": "aws-node", "roleArn": ROLE}]
    assert (sent["tags"], sent["resolveConflicts"]) == ({"t": "v"}, "OVERWRITE")


def test_wave_requests_give_each_add_on_the_role_of_its_profile():
    from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_plan import wave_requests

    wave = [{"name": "coredns", "configuration": {"replicaCount": 2}},
            {"name": "aws-ebs-csi-driver", "version": "latest", "iam": "ebs"},
            {"name": "kube-proxy", "state": "absent"}]  # fmt: skip
    profiles, arns = {"ebs": {"service_account": "ebs-csi-controller-sa"}}, {"ebs": "arn:aws:iam::1:role/ebs"}
    pod_identity = wave_requests(wave, "pod_identity", profiles, arns)
    assert pod_identity == [
        {"name": "coredns", "state": "present", "addon_version": "default",
         "configuration_values": {"replicaCount": 2}},
        {"name": "aws-ebs-csi-driver", "state": "present", "addon_version": "latest",
         "pod_identity_associations": {"ebs-csi-controller-sa": "arn:aws:iam::1:role/ebs"}},
        {"name": "kube-proxy", "state": "absent", "addon_version": "default"},
    ]  # fmt: skip
    assert wave_requests(wave, "irsa", profiles, arns)[1]["service_account_role_arn"] == "arn:aws:iam::1:role/ebs"
    with pytest.raises(RequestError, match="aws-ebs-csi-driver: iam: no IAM role was made for profile 'ebs'"):
        wave_requests(wave, "irsa", profiles, {})
