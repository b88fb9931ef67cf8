"""Make the AWS side match the topology: VPC, subnets, EKS cluster, nodegroups, instances, DNS zone.

Everything goes through boto3 against the endpoint (requests marked as the
sandbox's own, so they are neither faulted nor journaled), except the EC2
instances: RunInstances cannot choose instance ids, and ours must equal the
Kubernetes nodes' providerIDs, so the server creates them in-process.
Every step looks before it creates, so seeding again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable

import boto3
from botocore.config import Config

from ..topology import Topology

DEMO_DOMAIN = "petclinic.example.com"
# Requests the sandbox sends while seeding carry this header: never faulted, never journaled.
SANDBOX_HEADER = "X-Bespin-Sandbox"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto's dummy keys
# The root CA thumbprint IAM shows for EKS OIDC providers (public, not a secret).
OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
TRUST_EKS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
TRUST_EC2 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
_EKS_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def sandbox_client(service: str, endpoint: str, region: str):
    client = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
        **CREDENTIALS,
    )
    client.meta.events.register("before-sign", lambda request, **_: request.headers.add_header(SANDBOX_HEADER, "seed"))
    return client


def internal_api(endpoint: str, path: str, payload: dict | None = None, method: str = "POST") -> dict:
    """A call to the server's own API (moto's /moto-api or our /bespin-api), not an AWS API."""
    data = json.dumps(payload).encode() if payload is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(  # noqa: S310 - our loopback endpoint
        f"{endpoint}{path}", data=data, headers={"Content-Type": "application/json"}, method=method
    )
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        body = response.read()
    return json.loads(body) if body.startswith(b"{") else {}


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class Seeder:
    def __init__(self, endpoint: str, topology: Topology, log: Callable[[str], None]):
        self.endpoint = endpoint
        self.topology = topology
        self.log = log
        region = topology.region
        self.ec2 = sandbox_client("ec2", endpoint, region)
        self.eks = sandbox_client("eks", endpoint, region)
        self.iam = sandbox_client("iam", endpoint, region)
        self.route53 = sandbox_client("route53", endpoint, region)
        self.account = sandbox_client("sts", endpoint, region).get_caller_identity()["Account"]

    def run(self) -> dict[str, int]:
        name = self.topology.cluster_name
        vpc_id = self._vpc()
        subnets = {zone: self._subnet(vpc_id, zone) for zone in self.topology.zones}
        cluster_role = self._role(f"{name}-cluster-role", TRUST_EKS, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
        node_role = self._role(f"{name}-node-role", TRUST_EC2, "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
        issuer = self._cluster(cluster_role, list(subnets.values()))
        self._oidc_provider(issuer)
        groups = self._nodegroups(node_role, subnets)
        instances = self._instances(subnets, groups)
        self._hosted_zone()
        return {"instances": instances}

    # Network ---------------------------------------------------------------------------

    def _vpc(self) -> str:
        name = self.topology.cluster_name
        found = self.ec2.describe_vpcs(Filters=[{"Name": "tag:bespin:sandbox", "Values": [name]}])["Vpcs"]
        if found:
            return found[0]["VpcId"]
        vpc = self.ec2.create_vpc(
            CidrBlock=self.topology.vpc_cidr,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags({"Name": f"{name}-vpc", "bespin:sandbox": name})}],
        )["Vpc"]
        return vpc["VpcId"]

    def _subnet(self, vpc_id: str, zone: str) -> str:
        cidr = str(self.topology.subnet_for(zone))
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "cidr-block", "Values": [cidr]}]
        found = self.ec2.describe_subnets(Filters=filters)["Subnets"]
        if found:
            return found[0]["SubnetId"]
        name = self.topology.cluster_name
        tags = {
            "Name": f"{name}-private-{zone}",
            f"kubernetes.io/cluster/{name}": "shared",
            "kubernetes.io/role/internal-elb": "1",
        }
        subnet = self.ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(tags)}],
        )["Subnet"]
        return subnet["SubnetId"]

    # IAM and EKS -------------------------------------------------------------------------

    def _role(self, name: str, trust: dict, policy_arn: str) -> str:
        try:
            return self.iam.get_role(RoleName=name)["Role"]["Arn"]
        except self.iam.exceptions.NoSuchEntityException:
            arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            self.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
            return arn

    def _cluster(self, role_arn: str, subnet_ids: list[str]) -> str:
        name = self.topology.cluster_name
        try:
            cluster = self.eks.describe_cluster(name=name)["cluster"]
        except self.eks.exceptions.ResourceNotFoundException:
            cluster = self.eks.create_cluster(
                name=name,
                version=self.topology.kubernetes_version,
                roleArn=role_arn,
                resourcesVpcConfig={"subnetIds": subnet_ids, "endpointPrivateAccess": True},
                tags={"bespin:sandbox": name},
            )["cluster"]
        return cluster["identity"]["oidc"]["issuer"]

    def _oidc_provider(self, issuer: str) -> None:
        host = issuer.removeprefix("https://")
        arn = f"arn:aws:iam::{self.account}:oidc-provider/{host}"
        existing = {p["Arn"] for p in self.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}
        if arn not in existing:
            self.iam.create_open_id_connect_provider(
                Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=[OIDC_THUMBPRINT]
            )

    def _nodegroups(self, node_role: str, subnets: dict[str, str]) -> dict[str, dict]:
        name = self.topology.cluster_name
        existing = set(self.eks.list_nodegroups(clusterName=name, maxResults=100)["nodegroups"])
        groups = {}
        for group in self.topology.nodegroups:
            if group.name not in existing:
                self.eks.create_nodegroup(
                    clusterName=name,
                    nodegroupName=group.name,
                    version=self.topology.kubernetes_version,
                    nodeRole=node_role,
                    subnets=[subnets[z] for z in group.zones],
                    instanceTypes=[group.instance_type],
                    capacityType=group.capacity_type,
                    scalingConfig={"minSize": group.count, "maxSize": max(group.count, 1), "desiredSize": group.count},
                    labels=dict(group.labels),
                    taints=[{"key": t.key, "value": t.value, "effect": _EKS_EFFECTS[t.effect]} for t in group.taints],
                    tags={"bespin:sandbox": name},
                )
            groups[group.name] = self.eks.describe_nodegroup(clusterName=name, nodegroupName=group.name)["nodegroup"]
        return groups

    # EC2 instances ------------------------------------------------------------------------

    def _instances(self, subnets: dict[str, str], groups: dict[str, dict]) -> int:
        name = self.topology.cluster_name
        image = "ami-" + hashlib.sha256(f"eks-al2023/{self.topology.kubernetes_version}".encode()).hexdigest()[:17]
        nodes = []
        for node in self.topology.nodes():
            group = node.nodegroup
            asg = groups[group.name]["resources"]["autoScalingGroups"][0]["name"]
            nodes.append(
                {
                    "instance_id": node.instance_id,
                    "private_ip": node.private_ip,
                    "subnet_id": subnets[node.zone],
                    "instance_type": group.instance_type,
                    "image_id": image,
                    "spot": group.capacity_type == "SPOT",
                    "tags": {
                        "Name": node.name,
                        "eks:cluster-name": name,
                        "eks:nodegroup-name": group.name,
                        f"kubernetes.io/cluster/{name}": "owned",
                        "aws:autoscaling:groupName": asg,
                        "k8s.io/cluster-autoscaler/enabled": "true",
                        f"k8s.io/cluster-autoscaler/{name}": "owned",
                    },
                }
            )
        payload = {"account": self.account, "region": self.topology.region, "nodes": nodes}
        return internal_api(self.endpoint, "/bespin-api/ec2/instances", payload)["created"]

    # Route53 -------------------------------------------------------------------------------

    def _hosted_zone(self) -> None:
        zones = self.route53.list_hosted_zones_by_name(DNSName=DEMO_DOMAIN, MaxItems="1")["HostedZones"]
        if not any(z["Name"] == DEMO_DOMAIN + "." for z in zones):
            self.route53.create_hosted_zone(
                Name=DEMO_DOMAIN,
                CallerReference=f"bespin-sandbox-{self.topology.cluster_name}",
                HostedZoneConfig={"Comment": "PetClinic demo domain (sandbox)", "PrivateZone": False},
            )


def seed(endpoint: str, topology: Topology, log: Callable[[str], None]) -> dict[str, int]:
    return Seeder(endpoint, topology, log).run()
