"""The sandbox's AWS side: seeded from the topology to match the Kubernetes nodes; faults, writes, reset."""

from __future__ import annotations

import json
import subprocess

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from kubernetes import client, config

from bespin_sandbox import topology as topologies
from bespin_sandbox.aws.seed import DEMO_DOMAIN
from bespin_sandbox.faults import FaultPlan

pytestmark = pytest.mark.sandbox
EKS_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def sandbox_cli(*args: str) -> str:
    result = subprocess.run(["sandbox", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def topology(sandbox):
    return topologies.load(sandbox.layout.topology_file)


@pytest.fixture(scope="module")
def nodes(sandbox):
    api = config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig))
    return {node.metadata.name: node for node in client.CoreV1Api(api).list_node().items}


def aws(service: str, attempts: int = 3):
    """A client with botocore's standard retry mode; attempts=1 disables retries."""
    return boto3.client(service, config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))


def cluster_instances(cluster: str) -> list[dict]:
    pages = (
        aws("ec2")
        .get_paginator("describe_instances")
        .paginate(Filters=[{"Name": "tag:eks:cluster-name", "Values": [cluster]}])
    )
    return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]


def test_env_points_boto3_at_the_sandbox(sandbox, topology):
    settings = sandbox.env()
    assert settings["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{sandbox.layout.aws_port}"
    assert settings["AWS_REGION"] == settings["AWS_DEFAULT_REGION"] == topology.region
    assert aws("sts").get_caller_identity()["Account"] == "123456789012"


def test_instances_match_the_kubernetes_nodes_one_to_one(topology, nodes):
    instances = {i["InstanceId"]: i for i in cluster_instances(topology.cluster_name)}
    assert len(instances) == len(nodes) == topology.node_count
    for node in nodes.values():
        zone, instance_id = node.spec.provider_id.removeprefix("aws:///").split("/")
        instance = instances[instance_id]
        labels = node.metadata.labels
        tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
        internal_ip = next(a.address for a in node.status.addresses if a.type == "InternalIP")
        assert instance["PrivateIpAddress"] == internal_ip
        assert instance["PrivateDnsName"] == node.metadata.name
        assert instance["Placement"]["AvailabilityZone"] == zone == labels["topology.kubernetes.io/zone"]
        assert instance["InstanceType"] == labels["node.kubernetes.io/instance-type"]
        assert instance["State"]["Name"] == "running"
        assert tags["eks:cluster-name"] == topology.cluster_name
        assert tags["eks:nodegroup-name"] == labels["eks.amazonaws.com/nodegroup"]
        assert tags[f"kubernetes.io/cluster/{topology.cluster_name}"] == "owned"
        assert tags["Name"] == node.metadata.name


def test_cluster_nodegroups_and_network_follow_the_topology(topology):
    eks, ec2, iam = aws("eks"), aws("ec2"), aws("iam")
    cluster = eks.describe_cluster(name=topology.cluster_name)["cluster"]
    assert cluster["version"] == topology.kubernetes_version
    issuer = cluster["identity"]["oidc"]["issuer"].removeprefix("https://")
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert f"arn:aws:iam::123456789012:oidc-provider/{issuer}" in providers

    subnets = {
        s["SubnetId"]: s for s in ec2.describe_subnets(SubnetIds=cluster["resourcesVpcConfig"]["subnetIds"])["Subnets"]
    }
    assert {s["AvailabilityZone"]: s["CidrBlock"] for s in subnets.values()} == {
        zone: str(topology.subnet_for(zone)) for zone in topology.zones
    }
    vpc = ec2.describe_vpcs(VpcIds=[next(iter(subnets.values()))["VpcId"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == topology.vpc_cidr

    assert sorted(eks.list_nodegroups(clusterName=topology.cluster_name)["nodegroups"]) == sorted(
        g.name for g in topology.nodegroups
    )
    for group in topology.nodegroups:
        described = eks.describe_nodegroup(clusterName=topology.cluster_name, nodegroupName=group.name)["nodegroup"]
        assert described["instanceTypes"] == [group.instance_type]
        assert described["scalingConfig"]["desiredSize"] == group.count
        assert described["capacityType"] == group.capacity_type
        assert described["labels"] == group.labels
        assert described["taints"] == [
            {"key": t.key, "value": t.value, "effect": EKS_EFFECTS[t.effect]} for t in group.taints
        ]
        assert {subnets[s]["AvailabilityZone"] for s in described["subnets"]} == set(group.zones)

    zones = aws("route53").list_hosted_zones_by_name(DNSName=DEMO_DOMAIN)["HostedZones"]
    assert zones[0]["Name"] == DEMO_DOMAIN + "."


def writes_since(mark: str) -> dict[str, int]:
    return json.loads(sandbox_cli("writes", "--since", mark, "--json")).get("aws", {})


def test_writes_are_counted_by_operation(topology):
    mark = sandbox_cli("writes", "--mark").strip()
    iam, secrets, ec2, eks, route53 = aws("iam"), aws("secretsmanager"), aws("ec2"), aws("eks"), aws("route53")
    iam.create_role(RoleName="writes-probe", AssumeRolePolicyDocument="{}")  # query protocol
    iam.get_role(RoleName="writes-probe")
    iam.tag_role(RoleName="writes-probe", Tags=[{"Key": "k", "Value": "v"}])
    secrets.create_secret(Name="writes-probe", SecretString="x")  # JSON protocol
    secrets.describe_secret(SecretId="writes-probe")
    instance_id = topology.nodes()[0].instance_id
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "probe", "Value": "1"}])  # EC2 protocol
    ec2.describe_tags(Filters=[{"Name": "key", "Values": ["probe"]}])
    eks.create_addon(clusterName=topology.cluster_name, addonName="metrics-server")  # rest-json, ours
    eks.list_addons(clusterName=topology.cluster_name)
    eks.tag_resource(resourceArn=eks.describe_cluster(name=topology.cluster_name)["cluster"]["arn"], tags={"k": "v"})
    zone = route53.list_hosted_zones_by_name(DNSName=DEMO_DOMAIN)["HostedZones"][0]["Id"]
    record = {"Name": f"www.{DEMO_DOMAIN}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.10"}]}
    route53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]}
    )  # rest-xml
    assert writes_since(mark) == {
        "CreateRole": 1,
        "TagRole": 1,
        "CreateSecret": 1,
        "CreateTags": 1,
        "CreateAddon": 1,
        "TagResource": 1,
        "ChangeResourceRecordSets": 1,
    }


def calls(topology, attempts: int) -> list[tuple[str, object]]:
    """One cheap read per protocol family, with the throttling code each answers with."""
    ec2, iam, secrets, eks, route53 = (aws(s, attempts) for s in ("ec2", "iam", "secretsmanager", "eks", "route53"))
    return [
        ("RequestLimitExceeded", ec2.describe_vpcs),  # ec2
        ("Throttling", iam.list_roles),  # query
        ("ThrottlingException", secrets.list_secrets),  # json
        ("TooManyRequestsException", lambda: eks.list_addons(clusterName=topology.cluster_name)),  # rest-json
        ("Throttling", route53.list_hosted_zones),  # rest-xml
    ]


def test_throttling_is_retried_by_botocore(topology):
    cases = calls(topology, attempts=10)
    # Seed 34 throttles 9 of the first 28 requests, never two in a row: each throttled call
    # is retried once, so botocore's exponential backoff keeps the test short.
    sandbox_cli("faults", "set", "aws", "throttling=0.3", "--seed", "34")
    try:
        retries = sum(cases[i % len(cases)][1]()["ResponseMetadata"]["RetryAttempts"] for i in range(20))
        assert retries == 9
    finally:
        sandbox_cli("faults", "clear")


def test_throttling_without_retries_fails_a_known_share(sandbox, topology):
    cases = calls(topology, attempts=1)
    sandbox_cli("faults", "set", "aws", "throttling=0.3", "--seed", "7")
    try:
        # The same plan, read by the same code, predicts which requests meet the fault.
        predicted = FaultPlan(sandbox.layout.faults_file, "aws")
        expected = [predicted.decide() for _draw in range(20)]
        seen = []
        for index in range(20):
            code, call = cases[index % len(cases)]
            try:
                call()
                seen.append(None)
            except botocore.exceptions.ClientError as exc:
                assert exc.response["Error"]["Code"] == code
                seen.append("throttling")
        assert seen == expected
        assert 0 < seen.count("throttling") < 20
    finally:
        sandbox_cli("faults", "clear")


@pytest.mark.parametrize(("fault", "status"), [("error500", 500), ("error503", 503)])
def test_server_errors(fault, status):
    sandbox_cli("faults", "set", "aws", f"{fault}=1")
    try:
        for client_, call in ((aws("iam", 1), lambda c: c.list_roles()), (aws("eks", 1), lambda c: c.list_clusters())):
            with pytest.raises(botocore.exceptions.ClientError) as raised:
                call(client_)
            assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    finally:
        sandbox_cli("faults", "clear")


def test_reset_returns_to_the_seed(topology):
    iam, secrets, ec2, eks, route53, elasticache = (
        aws(s) for s in ("iam", "secretsmanager", "ec2", "eks", "route53", "elasticache")
    )
    iam.create_role(RoleName="reset-probe", AssumeRolePolicyDocument="{}")
    iam.create_policy(
        PolicyName="reset-probe",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ),
    )
    secrets.create_secret(Name="reset-probe", SecretString="x")
    route53.create_health_check(
        CallerReference="reset-probe", HealthCheckConfig={"Type": "HTTP", "FullyQualifiedDomainName": DEMO_DOMAIN}
    )
    elasticache.create_replication_group(
        ReplicationGroupId="reset-probe",
        ReplicationGroupDescription="probe",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
    )
    probe = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[topology.nodes()[0].instance_id])
    eks.create_pod_identity_association(
        clusterName=topology.cluster_name, namespace="n", serviceAccount="s", roleArn="arn:aws:iam::123456789012:role/x"
    )

    sandbox_cli("reset")

    assert all(r["RoleName"] != "reset-probe" for r in iam.list_roles()["Roles"])
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert secrets.list_secrets()["SecretList"] == []
    assert route53.list_health_checks()["HealthChecks"] == []
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []
    assert eks.list_pod_identity_associations(clusterName=topology.cluster_name)["associations"] == []
    with pytest.raises(botocore.exceptions.ClientError, match=r"InvalidInstanceID\.NotFound"):
        ec2.describe_instances(InstanceIds=[probe])
    node = topology.nodes()[0]
    [reseeded] = ec2.describe_instances(InstanceIds=[node.instance_id])["Reservations"][0]["Instances"]
    assert reseeded["State"]["Name"] == "running" and reseeded["PrivateIpAddress"] == node.private_ip
