"""The EKS add-on and Pod Identity APIs the sandbox adds to moto, through boto3.

Every response is checked twice: botocore parses it with the EKS service
model, and a hook validates the parsed output against the operation's output
shape; every error code must be one the operation declares.
"""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from botocore.validate import ParamValidator

from bespin_sandbox import topology as topologies
from bespin_sandbox.aws.seed import internal_api

pytestmark = pytest.mark.sandbox
WAIT = {"Delay": 1, "MaxAttempts": 30}


def validate_output(http_response, parsed, model, **_):
    if http_response.status_code >= 300 or model.output_shape is None:
        return
    output = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(output, model.output_shape)
    assert not report.has_errors(), f"{model.name} answered outside its output shape:\n{report.generate_report()}"


@pytest.fixture(scope="module")
def eks(sandbox):
    client = boto3.client("eks", config=Config(retries={"mode": "standard", "max_attempts": 3}))
    client.meta.events.register("after-call.eks", validate_output)
    return client


@pytest.fixture(scope="module")
def cluster(sandbox):
    return topologies.load(sandbox.layout.topology_file)


def expect_error(eks, code: str, operation: str, call, **params) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**params)
    error = raised.value.response["Error"]
    assert error["Code"] == code, error
    declared = {shape.name for shape in eks.meta.service_model.operation_model(operation).error_shapes}
    assert code in declared, f"{operation} does not declare {code}"
    return error["Message"]


def test_supported_versions_follow_the_cluster_version(eks, cluster):
    addons = {
        a["addonName"]: a for a in eks.describe_addon_versions(kubernetesVersion=cluster.kubernetes_version)["addons"]
    }
    assert {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "aws-ebs-csi-driver",
        "eks-pod-identity-agent",
        "metrics-server",
    } <= set(addons)
    for addon in addons.values():
        defaults = [
            v["addonVersion"]
            for v in addon["addonVersions"]
            for c in v["compatibilities"]
            if c["clusterVersion"] == cluster.kubernetes_version and c["defaultVersion"]
        ]
        assert len(defaults) == 1, f"{addon['addonName']} has {len(defaults)} default versions"
    kube_proxy = addons["kube-proxy"]["addonVersions"]
    assert all(v["addonVersion"].startswith(f"v{cluster.kubernetes_version}.") for v in kube_proxy)

    storage = eks.describe_addon_versions(types=["storage"])["addons"]
    assert storage and all(a["type"] == "storage" for a in storage)

    coredns = addons["coredns"]["addonVersions"][0]["addonVersion"]
    schema = eks.describe_addon_configuration(addonName="coredns", addonVersion=coredns)
    assert "replicaCount" in json.loads(schema["configurationSchema"])["properties"]
    ebs = eks.describe_addon_configuration(addonName="aws-ebs-csi-driver", addonVersion="v1.48.0-eksbuild.2")
    assert ebs["podIdentityConfiguration"][0]["serviceAccount"] == "ebs-csi-controller-sa"


def test_addon_lifecycle(eks, cluster):
    name = cluster.cluster_name
    created = eks.create_addon(
        clusterName=name,
        addonName="vpc-cni",
        addonVersion="v1.20.1-eksbuild.3",
        resolveConflicts="OVERWRITE",
        configurationValues=json.dumps({"env": {"WARM_IP_TARGET": "5"}}),
        tags={"team": "platform"},
    )["addon"]
    assert created["status"] == "CREATING"
    assert created["tags"] == {"team": "platform"}
    assert eks.list_addons(clusterName=name)["addons"] == ["vpc-cni"]

    eks.get_waiter("addon_active").wait(clusterName=name, addonName="vpc-cni", WaiterConfig=WAIT)
    active = eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]
    assert active["status"] == "ACTIVE" and active["health"]["issues"] == []

    update = eks.update_addon(
        clusterName=name,
        addonName="vpc-cni",
        addonVersion="v1.20.4-eksbuild.2",
        configurationValues="enableNetworkPolicy: 'true'\n",  # YAML is accepted too
        resolveConflicts="PRESERVE",
    )["update"]
    assert update["type"] == "AddonUpdate" and update["status"] == "InProgress"
    params = {p["type"]: p["value"] for p in update["params"]}
    assert params["AddonVersion"] == "v1.20.4-eksbuild.2"
    assert params["ResolveConflicts"] == "PRESERVE"
    assert eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]["status"] == "UPDATING"
    eks.get_waiter("addon_active").wait(clusterName=name, addonName="vpc-cni", WaiterConfig=WAIT)
    updated = eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]
    assert updated["addonVersion"] == "v1.20.4-eksbuild.2"
    assert updated["configurationValues"] == "enableNetworkPolicy: 'true'\n"
    done = eks.describe_update(name=name, updateId=update["id"], addonName="vpc-cni")["update"]
    assert done["status"] == "Successful"

    deleting = eks.delete_addon(clusterName=name, addonName="vpc-cni")["addon"]
    assert deleting["status"] == "DELETING"
    eks.get_waiter("addon_deleted").wait(clusterName=name, addonName="vpc-cni", WaiterConfig=WAIT)
    assert eks.list_addons(clusterName=name)["addons"] == []


def test_addon_errors(eks, cluster):
    name = cluster.cluster_name
    create = eks.create_addon
    expect_error(eks, "InvalidParameterException", "CreateAddon", create, clusterName=name, addonName="no-such-addon")
    expect_error(eks, "ResourceNotFoundException", "CreateAddon", create, clusterName="missing", addonName="coredns")
    expect_error(eks, "ResourceNotFoundException", "DescribeAddon", eks.describe_addon, clusterName=name, addonName="x")
    message = expect_error(
        eks,
        "InvalidParameterException",
        "CreateAddon",
        create,
        clusterName=name,
        addonName="coredns",
        addonVersion="v1.11.4-eksbuild.14",
    )
    assert "v1.13.1-eksbuild.1" in message, "the message lists the compatible versions"
    message = expect_error(
        eks,
        "InvalidParameterException",
        "CreateAddon",
        create,
        clusterName=name,
        addonName="coredns",
        configurationValues=json.dumps({"replicaCount": "two", "tolerations": [{"effect": "Sometimes"}]}),
    )
    assert "$.replicaCount" in message and "$.tolerations[0].effect" in message
    expect_error(
        eks,
        "InvalidParameterException",
        "CreateAddon",
        create,
        clusterName=name,
        addonName="coredns",
        resolveConflicts="PRESERVE",
    )

    create(clusterName=name, addonName="kube-proxy")
    expect_error(eks, "ResourceInUseException", "CreateAddon", create, clusterName=name, addonName="kube-proxy")
    expect_error(
        eks,
        "ResourceInUseException",
        "UpdateAddon",
        eks.update_addon,
        clusterName=name,
        addonName="kube-proxy",
        addonVersion="v1.36.0-eksbuild.2",
    )
    eks.delete_addon(clusterName=name, addonName="kube-proxy")


def create_tainted_cluster(sandbox) -> str:
    """A second cluster whose only nodegroup is tainted NoSchedule: CoreDNS has nowhere to run."""
    ec2, eks = boto3.client("ec2"), boto3.client("eks")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    role = boto3.client("iam").get_role(
        RoleName=f"{topologies.load(sandbox.layout.topology_file).cluster_name}-node-role"
    )
    eks.create_cluster(
        name="tainted", version="1.36", roleArn=role["Role"]["Arn"], resourcesVpcConfig={"subnetIds": [subnet]}
    )
    eks.create_nodegroup(
        clusterName="tainted",
        nodegroupName="dedicated",
        version="1.36",
        nodeRole=role["Role"]["Arn"],
        subnets=[subnet],
        scalingConfig={"minSize": 2, "maxSize": 2, "desiredSize": 2},
        taints=[{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}],
    )
    return "tainted"


def test_coredns_is_degraded_when_every_node_is_tainted(sandbox, eks, cluster):
    tainted = create_tainted_cluster(sandbox)
    eks.create_addon(clusterName=tainted, addonName="coredns")
    eks.create_addon(clusterName=cluster.cluster_name, addonName="coredns")
    eks.get_waiter("addon_active").wait(clusterName=cluster.cluster_name, addonName="coredns", WaiterConfig=WAIT)

    with pytest.raises(botocore.exceptions.WaiterError):  # the waiter fails fast on DEGRADED
        eks.get_waiter("addon_active").wait(clusterName=tainted, addonName="coredns", WaiterConfig=WAIT)
    degraded = eks.describe_addon(clusterName=tainted, addonName="coredns")["addon"]
    assert degraded["status"] == "DEGRADED"
    assert [i["code"] for i in degraded["health"]["issues"]] == ["InsufficientNumberOfReplicas"]

    # Tolerating the taint lets CoreDNS schedule: the add-on becomes healthy.
    toleration = {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}
    eks.update_addon(
        clusterName=tainted, addonName="coredns", configurationValues=json.dumps({"tolerations": [toleration]})
    )
    eks.get_waiter("addon_active").wait(clusterName=tainted, addonName="coredns", WaiterConfig=WAIT)


def test_pod_identity_association_lifecycle(eks, cluster):
    name = cluster.cluster_name
    role = f"arn:aws:iam::123456789012:role/{name}-petclinic-api"
    created = eks.create_pod_identity_association(
        clusterName=name, namespace="petclinic", serviceAccount="api", roleArn=role, tags={"app": "petclinic"}
    )["association"]
    association_id = created["associationId"]
    assert association_id.startswith("a-")
    assert created["associationArn"].endswith(f"podidentityassociation/{name}/{association_id}")
    expect_error(
        eks,
        "ResourceInUseException",
        "CreatePodIdentityAssociation",
        eks.create_pod_identity_association,
        clusterName=name,
        namespace="petclinic",
        serviceAccount="api",
        roleArn=role,
    )

    listed = eks.list_pod_identity_associations(clusterName=name, namespace="petclinic")["associations"]
    assert [a["associationId"] for a in listed] == [association_id]
    assert eks.list_pod_identity_associations(clusterName=name, namespace="other")["associations"] == []

    other_role = role + "-v2"
    updated = eks.update_pod_identity_association(clusterName=name, associationId=association_id, roleArn=other_role)
    assert updated["association"]["roleArn"] == other_role
    described = eks.describe_pod_identity_association(clusterName=name, associationId=association_id)["association"]
    assert described["roleArn"] == other_role and described["tags"] == {"app": "petclinic"}

    eks.delete_pod_identity_association(clusterName=name, associationId=association_id)
    expect_error(
        eks,
        "ResourceNotFoundException",
        "DescribePodIdentityAssociation",
        eks.describe_pod_identity_association,
        clusterName=name,
        associationId=association_id,
    )
    expect_error(
        eks,
        "ResourceNotFoundException",
        "ListPodIdentityAssociations",
        eks.list_pod_identity_associations,
        clusterName="missing",
    )


def test_addon_owned_pod_identity_associations(eks, cluster):
    name = cluster.cluster_name
    role = f"arn:aws:iam::123456789012:role/{name}-ebs-csi"
    addon = eks.create_addon(
        clusterName=name,
        addonName="aws-ebs-csi-driver",
        podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": role}],
    )["addon"]
    [arn] = addon["podIdentityAssociations"]
    [summary] = eks.list_pod_identity_associations(clusterName=name, serviceAccount="ebs-csi-controller-sa")[
        "associations"
    ]
    assert summary["associationArn"] == arn and summary["ownerArn"] == addon["addonArn"]
    expect_error(
        eks,
        "InvalidRequestException",
        "DeletePodIdentityAssociation",
        eks.delete_pod_identity_association,
        clusterName=name,
        associationId=summary["associationId"],
    )
    eks.get_waiter("addon_active").wait(clusterName=name, addonName="aws-ebs-csi-driver", WaiterConfig=WAIT)
    eks.delete_addon(clusterName=name, addonName="aws-ebs-csi-driver")
    eks.get_waiter("addon_deleted").wait(clusterName=name, addonName="aws-ebs-csi-driver", WaiterConfig=WAIT)
    assert eks.list_pod_identity_associations(clusterName=name)["associations"] == []


def test_activation_delay_is_settable_while_running(sandbox, eks, cluster):
    endpoint = f"http://127.0.0.1:{sandbox.layout.aws_port}/bespin-api/eks/addon-delay"
    name = cluster.cluster_name
    before = internal_api(endpoint, "", method="GET")["seconds"]
    assert before > 0
    try:
        assert internal_api(endpoint, "", {"seconds": 0}, method="PUT") == {"seconds": 0}
        eks.create_addon(clusterName=name, addonName="kube-proxy")
        assert eks.describe_addon(clusterName=name, addonName="kube-proxy")["addon"]["status"] == "ACTIVE"
    finally:
        internal_api(endpoint, "", {"seconds": before}, method="PUT")
    assert internal_api(endpoint, "", method="GET") == {"seconds": before}
    eks.delete_addon(clusterName=name, addonName="kube-proxy")
    assert eks.describe_addon(clusterName=name, addonName="kube-proxy")["addon"]["status"] == "DELETING"
    eks.get_waiter("addon_deleted").wait(clusterName=name, addonName="kube-proxy", WaiterConfig=WAIT)
