"""bespin.platform.eks_addon against the sandbox's EKS add-on and Pod Identity API.

Expected versions are read here from DescribeAddonVersions with boto3, not from
the module's code; the state left behind is read with boto3 too, and
`sandbox writes` counts the writes each run made.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from bespin_sandbox import topology as topologies

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import run_module, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.eks_addon"
ROLE = "arn:aws:iam::123456789012:role/petclinic-{}"
WAIT = {"Delay": 1, "MaxAttempts": 60}


@pytest.fixture(scope="module")
def eks(sandbox):
    # The test's own reads retry patiently: some tests inject throttling into the sandbox.
    return boto3.client("eks", config=Config(retries={"mode": "standard", "max_attempts": 10}))


@pytest.fixture(scope="module")
def cluster(sandbox):
    return topologies.load(sandbox.layout.topology_file).cluster_name


@pytest.fixture(scope="module")
def kubernetes_version(eks, cluster):
    return eks.describe_cluster(name=cluster)["cluster"]["version"]


def versions(eks, name, kubernetes_version):
    """(default, latest, all compatible) for the add-on, from DescribeAddonVersions."""
    entry = eks.describe_addon_versions(addonName=name, kubernetesVersion=kubernetes_version)["addons"][0]
    compatible, default = [], None
    for version in entry["addonVersions"]:
        for compatibility in version["compatibilities"]:
            if compatibility["clusterVersion"] == kubernetes_version:
                compatible.append(version["addonVersion"])
                if compatibility["defaultVersion"]:
                    default = version["addonVersion"]
    newest_first = sorted(compatible, key=lambda v: [int(n) for n in re.findall(r"\d+", v)], reverse=True)
    return default, newest_first[0], newest_first


def describe(eks, cluster, name):
    try:
        return eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
    except eks.exceptions.ResourceNotFoundException:
        return None


def owned_roles(eks, cluster, addon):
    roles = {}
    for arn in addon["podIdentityAssociations"]:
        association = eks.describe_pod_identity_association(clusterName=cluster, associationId=arn.rsplit("/", 1)[1])
        roles[association["association"]["serviceAccount"]] = association["association"]["roleArn"]
    return roles


def remove(eks, cluster, name):
    if describe(eks, cluster, name) is not None:
        eks.delete_addon(clusterName=cluster, addonName=name)
        eks.get_waiter("addon_deleted").wait(clusterName=cluster, addonName=name, WaiterConfig=WAIT)


def aws_writes(mark):
    return sandbox_writes(mark).get("aws", {})


def args(cluster, name, **options):
    return {"cluster_name": cluster, "name": name, **options}


# Check mode, creation, idempotence ---------------------------------------------------------------


def test_check_mode_predicts_the_creation_and_writes_nothing(eks, cluster, kubernetes_version):
    _default, latest, _all = versions(eks, "vpc-cni", kubernetes_version)
    mark = sandbox_mark()
    result = run_module(
        MODULE,
        args(cluster, "vpc-cni", addon_version="latest", configuration_values={"enableNetworkPolicy": "true"}),
        check=True,
        diff=True,
    )
    assert result["changed"] is True, result
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["addon_version"] == latest
    assert result["diff"]["after"]["configuration_values"] == {"enableNetworkPolicy": "true"}
    assert aws_writes(mark) == {}
    assert describe(eks, cluster, "vpc-cni") is None


def test_default_version_is_installed_and_a_rerun_changes_nothing(eks, cluster, kubernetes_version):
    default, _latest, _all = versions(eks, "kube-proxy", kubernetes_version)
    mark = sandbox_mark()
    result = run_module(MODULE, args(cluster, "kube-proxy", addon_version="default"))
    assert result["changed"] is True, result
    assert aws_writes(mark) == {"CreateAddon": 1}
    assert result["addon"]["status"] == "ACTIVE"
    assert result["addon"]["addon_version"] == default
    assert describe(eks, cluster, "kube-proxy")["addonVersion"] == default

    mark = sandbox_mark()
    again = run_module(MODULE, args(cluster, "kube-proxy", addon_version="default"), diff=True)
    assert again["changed"] is False, again
    assert again["diff"]["before"] == again["diff"]["after"]
    assert aws_writes(mark) == {}


def test_latest_version_with_configuration_and_tags(eks, cluster, kubernetes_version):
    _default, latest, _all = versions(eks, "snapshot-controller", kubernetes_version)
    options = dict(
        addon_version="latest",
        configuration_values={"replicaCount": 2, "nodeSelector": {"role": "system"}},
        tags={"team": "platform"},
        resolve_conflicts_on_create="OVERWRITE",
    )
    result = run_module(MODULE, args(cluster, "snapshot-controller", **options))
    assert result["changed"] is True, result
    addon = describe(eks, cluster, "snapshot-controller")
    assert addon["addonVersion"] == latest
    assert json.loads(addon["configurationValues"]) == options["configuration_values"]
    assert addon["tags"] == {"team": "platform"}
    assert result["addon"]["configuration_values"] == options["configuration_values"]
    assert result["addon"]["tags"] == {"team": "platform"}

    # The same configuration in another key order is the same configuration.
    mark = sandbox_mark()
    reordered = {**options, "configuration_values": {"nodeSelector": {"role": "system"}, "replicaCount": 2}}
    assert run_module(MODULE, args(cluster, "snapshot-controller", **reordered))["changed"] is False
    assert aws_writes(mark) == {}


# Updates ------------------------------------------------------------------------------------------


def test_update_changes_only_what_was_set(eks, cluster, kubernetes_version):
    _default, latest, compatible = versions(eks, "vpc-cni", kubernetes_version)
    older = compatible[-1]
    created = run_module(
        MODULE,
        args(cluster, "vpc-cni", addon_version=older, configuration_values={"env": {"WARM_IP_TARGET": "5"}}),
    )
    assert created["changed"] is True, created

    mark = sandbox_mark()
    check = run_module(MODULE, args(cluster, "vpc-cni", addon_version="latest"), check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"] == {"before": {"addon_version": older}, "after": {"addon_version": latest}}
    assert aws_writes(mark) == {}

    mark = sandbox_mark()
    options = dict(
        addon_version="latest",
        configuration_values={"env": {"WARM_IP_TARGET": "10"}},
        resolve_conflicts_on_update="PRESERVE",
    )
    result = run_module(MODULE, args(cluster, "vpc-cni", **options), diff=True)
    assert result["changed"] is True, result
    assert aws_writes(mark) == {"UpdateAddon": 1}
    assert result["diff"]["before"] == {
        "addon_version": older,
        "configuration_values": {"env": {"WARM_IP_TARGET": "5"}},
    }
    assert result["diff"]["after"] == {
        "addon_version": latest,
        "configuration_values": {"env": {"WARM_IP_TARGET": "10"}},
    }
    params = {p["type"]: p["value"] for p in result["addon_update"]["params"]}
    assert params["ResolveConflicts"] == "PRESERVE"
    addon = describe(eks, cluster, "vpc-cni")
    assert (addon["status"], addon["addonVersion"]) == ("ACTIVE", latest)
    assert json.loads(addon["configurationValues"]) == {"env": {"WARM_IP_TARGET": "10"}}

    # Options left out are left alone: no version, no configuration in the request.
    mark = sandbox_mark()
    assert run_module(MODULE, args(cluster, "vpc-cni"))["changed"] is False
    assert run_module(MODULE, args(cluster, "vpc-cni", **options))["changed"] is False
    assert aws_writes(mark) == {}

    # {} removes the configuration.
    cleared = run_module(MODULE, args(cluster, "vpc-cni", configuration_values={}))
    assert cleared["changed"] is True and cleared["addon"]["configuration_values"] == {}
    remove(eks, cluster, "vpc-cni")


def test_pod_identity_associations_follow_the_mapping(eks, cluster):
    name, account = "aws-ebs-csi-driver", "ebs-csi-controller-sa"
    result = run_module(MODULE, args(cluster, name, pod_identity_associations={account: ROLE.format("ebs")}))
    assert result["changed"] is True, result
    assert owned_roles(eks, cluster, describe(eks, cluster, name)) == {account: ROLE.format("ebs")}

    mark = sandbox_mark()
    same = run_module(MODULE, args(cluster, name, pod_identity_associations={account: ROLE.format("ebs")}))
    assert same["changed"] is False
    assert aws_writes(mark) == {}

    moved = run_module(
        MODULE, args(cluster, name, pod_identity_associations={account: ROLE.format("ebs-2")}), diff=True
    )
    assert moved["changed"] is True
    assert moved["diff"]["before"]["pod_identity_associations"] == {account: ROLE.format("ebs")}
    assert moved["diff"]["after"]["pod_identity_associations"] == {account: ROLE.format("ebs-2")}
    assert owned_roles(eks, cluster, describe(eks, cluster, name)) == {account: ROLE.format("ebs-2")}

    emptied = run_module(MODULE, args(cluster, name, pod_identity_associations={}))
    assert emptied["changed"] is True
    assert describe(eks, cluster, name)["podIdentityAssociations"] == []
    assert eks.list_pod_identity_associations(clusterName=cluster, serviceAccount=account)["associations"] == []


def test_service_account_role(eks, cluster):
    name = "aws-efs-csi-driver"
    result = run_module(MODULE, args(cluster, name, service_account_role_arn=ROLE.format("efs")))
    assert result["changed"] is True, result
    assert describe(eks, cluster, name)["serviceAccountRoleArn"] == ROLE.format("efs")
    mark = sandbox_mark()
    assert run_module(MODULE, args(cluster, name, service_account_role_arn=ROLE.format("efs")))["changed"] is False
    assert aws_writes(mark) == {}
    remove(eks, cluster, name)


# Errors: each names the option at fault and comes before any write, in check mode too -------------


UNKNOWN_ADDON = ("no-such-addon", {}, r"^name: 'no-such-addon' is not an EKS add-on; add-ons for Kubernetes .*coredns")
INCOMPATIBLE_VERSION = (
    "coredns",
    {"addon_version": "v0.0.1-eksbuild.1"},
    r"^addon_version: coredns v0\.0\.1-eksbuild\.1 is not compatible with Kubernetes \S+; "
    r"compatible versions \(newest first\): v",
)
SCHEMA_VIOLATION = (
    "coredns",
    {"configuration_values": {"replicaCount": 2, "tolerations": [{"effect": "Sometimes"}], "replicas": 3}},
    r"configuration_values\.replicas: unknown key 'replicas'.*"
    r"configuration_values\.tolerations\[0\]\.effect: 'Sometimes' is not one of",
)


# The checks that read AWS run in check mode too; the others fail before any call in both modes.
@pytest.mark.parametrize(
    ("name", "options", "expected", "check"),
    [
        (*UNKNOWN_ADDON, False),
        (*UNKNOWN_ADDON, True),
        (*INCOMPATIBLE_VERSION, False),
        (*INCOMPATIBLE_VERSION, True),
        (*SCHEMA_VIOLATION, False),
        (*SCHEMA_VIOLATION, True),
        ("coredns", {"resolve_conflicts_on_create": "PRESERVE"}, r"^resolve_conflicts_on_create: PRESERVE", False),
        (
            "vpc-cni",
            {"pod_identity_associations": {"ebs-csi-controller-sa": ROLE.format("x")}},
            r"^pod_identity_associations\.ebs-csi-controller-sa: .*only for these service accounts: aws-node",
            False,
        ),
        ("coredns", {"service_account_role_arn": "coredns-role"}, r"^service_account_role_arn: 'coredns-role'", False),
    ],
    ids=[
        "unknown-addon",
        "unknown-addon-check",
        "incompatible-version",
        "incompatible-version-check",
        "schema",
        "schema-check",
        "preserve-on-create",
        "pod-identity-account",
        "role",
    ],
)
def test_bad_requests_fail_before_any_write(eks, cluster, kubernetes_version, name, options, expected, check):
    mark = sandbox_mark()
    result = run_module(MODULE, args(cluster, name, **options), check=check)
    assert result.get("failed") is True, result
    assert re.search(expected, result["msg"]), result["msg"]
    assert aws_writes(mark) == {}
    assert describe(eks, cluster, name) is None
    if "addon_version" in options:  # every compatible version is named
        _default, _latest, compatible = versions(eks, name, kubernetes_version)
        assert result["msg"].endswith(", ".join(compatible)), result["msg"]


def test_missing_cluster(eks):
    mark = sandbox_mark()
    result = run_module(MODULE, args("no-such-cluster", "coredns"))
    assert result.get("failed") is True
    assert result["msg"].startswith("cluster_name: there is no EKS cluster named 'no-such-cluster'"), result["msg"]
    assert aws_writes(mark) == {}


def test_association_owned_elsewhere_is_refused_before_any_write(eks, cluster):
    standalone = eks.create_pod_identity_association(
        clusterName=cluster, namespace="kube-system", serviceAccount="aws-node", roleArn=ROLE.format("manual")
    )["association"]
    try:
        mark = sandbox_mark()
        result = run_module(
            MODULE, args(cluster, "vpc-cni", pod_identity_associations={"aws-node": ROLE.format("cni")})
        )
        assert result.get("failed") is True, result
        assert result["msg"].startswith("pod_identity_associations.aws-node: service account kube-system/aws-node")
        assert standalone["associationId"] in result["msg"]
        assert aws_writes(mark) == {}
        assert describe(eks, cluster, "vpc-cni") is None
    finally:
        eks.delete_pod_identity_association(clusterName=cluster, associationId=standalone["associationId"])


# Health, waiting, deletion ------------------------------------------------------------------------


@pytest.fixture
def every_nodegroup_tainted(eks, cluster):
    """CoreDNS has nowhere to run (the sandbox then reports it DEGRADED), until it tolerates the taint."""
    taint = {"key": "dedicated", "value": "test", "effect": "NO_SCHEDULE"}
    tainted = []

    def untaint():
        for group in tainted:
            eks.update_nodegroup_config(clusterName=cluster, nodegroupName=group, taints={"removeTaints": [taint]})

    for group in eks.list_nodegroups(clusterName=cluster)["nodegroups"]:
        taints = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)["nodegroup"].get("taints") or []
        if not any(t["effect"] == "NO_SCHEDULE" for t in taints):
            eks.update_nodegroup_config(clusterName=cluster, nodegroupName=group, taints={"addOrUpdateTaints": [taint]})
            tainted.append(group)
    yield
    untaint()


def test_degraded_add_on_fails_the_change_with_its_health_issues(eks, cluster, every_nodegroup_tainted):
    result = run_module(MODULE, args(cluster, "coredns", wait_timeout=120))
    assert result.get("failed") is True, result
    assert result["changed"] is True
    assert result["msg"].startswith("add-on coredns is DEGRADED: InsufficientNumberOfReplicas:"), result["msg"]
    assert "kube-system/coredns" in result["msg"]
    assert result["addon"]["health"]["issues"][0]["code"] == "InsufficientNumberOfReplicas"

    # Unchanged, it only warns.
    unchanged = run_module(MODULE, args(cluster, "coredns"))
    assert unchanged["changed"] is False and not unchanged.get("failed"), unchanged
    assert any("DEGRADED" in warning for warning in unchanged.get("warnings", [])), unchanged

    healed = run_module(
        MODULE,
        args(
            cluster,
            "coredns",
            configuration_values={"tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]},
        ),
    )
    assert healed["changed"] is True and not healed.get("failed"), healed
    assert healed["addon"]["status"] == "ACTIVE"
    assert healed["addon"]["health"]["issues"] == []
    remove(eks, cluster, "coredns")


def test_without_wait_the_module_returns_at_once_and_a_waiting_rerun_settles(eks, cluster):
    name = "metrics-server"
    started = run_module(MODULE, args(cluster, name, wait=False))
    assert started["changed"] is True, started
    assert started["addon"]["status"] == "CREATING"
    settled = run_module(MODULE, args(cluster, name))
    assert settled["changed"] is False, settled
    assert settled["addon"]["status"] == "ACTIVE"


def test_delete_check_mode_then_delete_then_rerun(eks, cluster):
    name = "metrics-server"
    if describe(eks, cluster, name) is None:
        run_module(MODULE, args(cluster, name))
    mark = sandbox_mark()
    check = run_module(MODULE, args(cluster, name, state="absent"), check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"]["after"] == {} and check["diff"]["before"]["addon_version"]
    assert aws_writes(mark) == {}
    assert describe(eks, cluster, name)["status"] == "ACTIVE"

    mark = sandbox_mark()
    deleted = run_module(MODULE, args(cluster, name, state="absent", preserve=True))
    assert deleted["changed"] is True, deleted
    assert deleted["addon"] == {}
    assert aws_writes(mark) == {"DeleteAddon": 1}
    assert describe(eks, cluster, name) is None

    mark = sandbox_mark()
    again = run_module(MODULE, args(cluster, name, state="absent"))
    assert again["changed"] is False
    assert aws_writes(mark) == {}


def test_tags_of_an_existing_add_on_are_updated(eks, cluster):
    name = "eks-pod-identity-agent"
    run_module(MODULE, args(cluster, name, tags={"team": "platform", "old": "x"}))
    result = run_module(MODULE, args(cluster, name, tags={"team": "platform", "env": "prod"}))
    assert result["changed"] is True and not result.get("failed"), result
    assert describe(eks, cluster, name)["tags"] == {"team": "platform", "env": "prod"}


# Retries -------------------------------------------------------------------------------------------


class AccessLog:
    """The sandbox AWS endpoint's access log: how many requests it answered 429 since a mark."""

    def __init__(self, path):
        self.path = path

    def mark(self):
        return self.path.stat().st_size

    def throttled_since(self, mark):
        with self.path.open("rb") as handle:
            handle.seek(mark)
            return len(re.findall(rb'" 429 ', handle.read()))


@pytest.fixture
def throttled_aws(sandbox, request):
    """20% of AWS requests answered 429 TooManyRequestsException; the plan is cleared whatever happens."""
    request.addfinalizer(lambda: subprocess.run(["sandbox", "faults", "clear"], check=True))
    subprocess.run(["sandbox", "faults", "set", "aws", "throttling=0.2", "--seed", "11"], check=True)
    return AccessLog(sandbox.layout.log_dir / "aws.log")


def test_create_update_delete_succeed_with_throttling(eks, cluster, kubernetes_version, throttled_aws):
    name = "aws-ebs-csi-driver"
    remove(eks, cluster, name)
    _default, latest, _all = versions(eks, name, kubernetes_version)
    writes, throttled = sandbox_mark(), 0

    def run(**options):
        nonlocal throttled
        log_mark = throttled_aws.mark()
        result = run_module(MODULE, args(cluster, name, **options))
        throttled += throttled_aws.throttled_since(log_mark)
        assert result["changed"] is True and not result.get("failed"), result
        return result

    run(addon_version="latest", tags={"team": "platform"})
    run(configuration_values={"controller": {"replicaCount": 3}})
    addon = describe(eks, cluster, name)
    assert addon["addonVersion"] == latest
    assert json.loads(addon["configurationValues"]) == {"controller": {"replicaCount": 3}}
    run(state="absent")
    assert describe(eks, cluster, name) is None
    # Each write reached the API once: the throttled attempts were refused before it.
    assert aws_writes(writes) == {"CreateAddon": 1, "UpdateAddon": 1, "DeleteAddon": 1}
    assert throttled > 0, "the fault plan throttled none of the module's requests: nothing was retried"


# Several add-ons in one task (O(addons)) ------------------------------------------------------------

BATCH = ["kube-proxy", "metrics-server", "snapshot-controller"]


def batch_args(cluster, *items, **options):
    return {"cluster_name": cluster, "addons": list(items), **options}


def test_a_batch_is_checked_whole_before_any_write(eks, cluster):
    for name in BATCH:
        remove(eks, cluster, name)
    mark = sandbox_mark()
    items = [{"name": "kube-proxy"}, {"name": "metrics-server", "addon_version": "v0.0.0-nope"},
             {"name": "snapshot-controller", "service_account_role_arn": "not-an-arn"}]  # fmt: skip
    result = run_module(MODULE, batch_args(cluster, *items))
    assert result.get("failed") is True, result
    assert "addons[1] (metrics-server): addon_version" in result["msg"], result["msg"]
    assert "addons[2] (snapshot-controller): service_account_role_arn" in result["msg"], result["msg"]
    assert [r.get("failed", False) for r in result["addons"]] == [False, True, True]
    assert aws_writes(mark) == {}, "a valid item was written although another was wrong"
    assert all(describe(eks, cluster, name) is None for name in BATCH)


def test_a_batch_is_predicted_created_together_and_a_rerun_changes_nothing(eks, cluster):
    items = [{"name": name} for name in BATCH]
    mark = sandbox_mark()
    predicted = run_module(MODULE, batch_args(cluster, *items), check=True)
    assert predicted["changed"] is True and [r["changed"] for r in predicted["addons"]] == [True, True, True]
    assert aws_writes(mark) == {}

    mark = sandbox_mark()
    result = run_module(MODULE, batch_args(cluster, *items, tags={"team": "platform"}))
    assert result["changed"] is True and not result.get("failed"), result
    assert [(r["name"], r["addon"]["status"]) for r in result["addons"]] == [(name, "ACTIVE") for name in BATCH]
    assert aws_writes(mark) == {"CreateAddon": 3}
    assert {describe(eks, cluster, name)["tags"]["team"] for name in BATCH} == {"platform"}

    mark = sandbox_mark()
    again = run_module(MODULE, batch_args(cluster, *items, tags={"team": "platform"}))
    assert again["changed"] is False and [r["changed"] for r in again["addons"]] == [False] * 3, again
    assert aws_writes(mark) == {}


def test_each_item_may_set_its_own_state(eks, cluster):
    items = [{"name": "kube-proxy"}, {"name": "metrics-server", "state": "absent"}]
    result = run_module(MODULE, batch_args(cluster, *items))
    assert [(r["name"], r["changed"]) for r in result["addons"]] == [("kube-proxy", False), ("metrics-server", True)]
    assert describe(eks, cluster, "metrics-server") is None
    for name in BATCH:
        remove(eks, cluster, name)


def test_name_and_addons_exclude_each_other(eks, cluster):
    result = run_module(MODULE, {"cluster_name": cluster, "name": "coredns", "addons": [{"name": "kube-proxy"}]})
    assert result.get("failed") is True and "mutually exclusive" in result["msg"], result
