"""The topology file: the simulated EKS cluster, its nodegroups and their nodes.

Loading validates every field and names the bad one, so a typo fails before
anything starts. Node identities (name, IP, instance id, zone) are derived
deterministically from the cluster, nodegroup and index, so the Kubernetes
Node objects and the EC2 instances of the AWS side always agree, and adding a
nodegroup never renames the nodes of the others.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .instance_types import INSTANCE_TYPES

DEFAULT_TOPOLOGY = Path(__file__).parent / "topologies" / "petclinic.yml"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_K8S_VERSION = re.compile(r"^1\.\d{2}$")
# Each zone gets a /20 private subnet of the VPC: room for 4,000+ nodes.
_SUBNET_PREFIX = 20


class TopologyError(ValueError):
    """A topology file that cannot describe a cluster; the message names the field."""


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str

    def as_k8s(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class NodeGroup:
    name: str
    instance_type: str
    zones: tuple[str, ...]
    count: int
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    capacity_type: str = "ON_DEMAND"


@dataclass(frozen=True)
class SimulatedNode:
    """One EKS worker: a Kubernetes Node object and, on the AWS side, an EC2 instance."""

    name: str
    nodegroup: NodeGroup
    zone: str
    private_ip: str
    instance_id: str

    @property
    def provider_id(self) -> str:
        return f"aws:///{self.zone}/{self.instance_id}"


@dataclass(frozen=True)
class Topology:
    cluster_name: str
    region: str
    kubernetes_version: str
    vpc_cidr: str
    zones: tuple[str, ...]
    nodegroups: tuple[NodeGroup, ...]
    source: str = ""

    @property
    def node_count(self) -> int:
        return sum(group.count for group in self.nodegroups)

    def same_cluster_as(self, other: Topology) -> bool:
        return self.to_document() == other.to_document()

    def to_document(self) -> dict:
        """The topology as a file again (what `load` reads)."""
        return {
            "cluster": {
                "name": self.cluster_name,
                "region": self.region,
                "kubernetes_version": self.kubernetes_version,
                "vpc_cidr": self.vpc_cidr,
            },
            "nodegroups": [
                {
                    "name": g.name,
                    "instance_type": g.instance_type,
                    "zones": list(g.zones),
                    "count": g.count,
                    "labels": dict(g.labels),
                    "taints": [t.as_k8s() for t in g.taints],
                    "capacity_type": g.capacity_type,
                }
                for g in self.nodegroups
            ],
        }

    def subnet_for(self, zone: str) -> ipaddress.IPv4Network:
        subnets = ipaddress.ip_network(self.vpc_cidr).subnets(new_prefix=_SUBNET_PREFIX)
        for index, subnet in enumerate(subnets):
            if index == self.zones.index(zone):
                return subnet
        raise TopologyError(f"vpc_cidr {self.vpc_cidr} has no room for a subnet in zone {zone}")

    def nodes(self) -> list[SimulatedNode]:
        taken: dict[str, set[int]] = {zone: set() for zone in self.zones}
        nodes = []
        for group in self.nodegroups:
            for index in range(group.count):
                zone = group.zones[index % len(group.zones)]
                subnet = self.subnet_for(zone)
                offset = _free_offset(f"{self.cluster_name}/{group.name}/{index}", subnet, taken[zone])
                ip = str(subnet.network_address + offset)
                nodes.append(
                    SimulatedNode(
                        name=f"ip-{ip.replace('.', '-')}.{self.region}.compute.internal",
                        nodegroup=group,
                        zone=zone,
                        private_ip=ip,
                        instance_id="i-" + _digest(f"{self.cluster_name}/{group.name}/{index}/instance")[:17],
                    )
                )
        return nodes


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _free_offset(key: str, subnet: ipaddress.IPv4Network, taken: set[int]) -> int:
    # AWS keeps the first four addresses and the last one of every subnet.
    usable = subnet.num_addresses - 5
    offset = 4 + int(_digest(key), 16) % usable
    while offset in taken:
        offset = 4 + (offset - 3) % usable
    taken.add(offset)
    return offset


# Loading and validation -----------------------------------------------------


def load(path: str | Path | None = None) -> Topology:
    path = Path(path) if path else DEFAULT_TOPOLOGY
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise TopologyError(f"cannot read topology file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise TopologyError(f"topology file {path} is not valid YAML: {exc}") from exc
    return parse(data, source=str(path))


def parse(data: object, source: str = "<topology>") -> Topology:
    root = _mapping(data, "topology")
    cluster = _mapping(root.get("cluster"), "cluster")
    name = _string(cluster.get("name"), "cluster.name")
    if not _DNS_LABEL.match(name):
        raise TopologyError(f"cluster.name {name!r} must be a lowercase DNS label")
    region = _string(cluster.get("region"), "cluster.region")
    version = str(cluster.get("kubernetes_version", ""))
    if not _K8S_VERSION.match(version):
        raise TopologyError(f"cluster.kubernetes_version {version!r} must look like '1.33' (quote it in YAML)")
    vpc_cidr = str(cluster.get("vpc_cidr", "10.0.0.0/16"))
    try:
        ipaddress.ip_network(vpc_cidr)
    except ValueError as exc:
        raise TopologyError(f"cluster.vpc_cidr: {exc}") from exc

    raw_groups = root.get("nodegroups")
    if not isinstance(raw_groups, list) or not raw_groups:
        raise TopologyError("nodegroups must be a non-empty list")
    groups = tuple(_nodegroup(raw, f"nodegroups[{i}]", region) for i, raw in enumerate(raw_groups))
    names = [g.name for g in groups]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TopologyError(f"nodegroups: duplicate name(s) {', '.join(duplicates)}")
    zones = tuple(dict.fromkeys(zone for g in groups for zone in g.zones))
    topology = Topology(name, region, version, vpc_cidr, zones, groups, source)
    for zone in zones:
        topology.subnet_for(zone)
    return topology


def _nodegroup(raw: object, where: str, region: str) -> NodeGroup:
    group = _mapping(raw, where)
    name = _string(group.get("name"), f"{where}.name")
    if not _DNS_LABEL.match(name):
        raise TopologyError(f"{where}.name {name!r} must be a lowercase DNS label")
    instance_type = _string(group.get("instance_type"), f"{where}.instance_type")
    if instance_type not in INSTANCE_TYPES:
        known = ", ".join(sorted(INSTANCE_TYPES))
        raise TopologyError(f"{where}.instance_type {instance_type!r} is not simulated; known: {known}")
    zones = group.get("zones")
    if not isinstance(zones, list) or not zones or not all(isinstance(z, str) for z in zones):
        raise TopologyError(f"{where}.zones must be a non-empty list of availability zones")
    for zone in zones:
        if not (zone.startswith(region) and len(zone) == len(region) + 1):
            raise TopologyError(f"{where}.zones: {zone!r} is not a zone of region {region}")
    count = group.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise TopologyError(f"{where}.count must be a whole number >= 0, got {count!r}")
    labels = _mapping(group.get("labels") or {}, f"{where}.labels")
    for key, value in labels.items():
        if not isinstance(value, str):
            raise TopologyError(f"{where}.labels.{key} must be a string (quote it in YAML)")
    capacity_type = group.get("capacity_type", "ON_DEMAND")
    if capacity_type not in CAPACITY_TYPES:
        raise TopologyError(f"{where}.capacity_type must be one of {', '.join(CAPACITY_TYPES)}")
    return NodeGroup(
        name=name,
        instance_type=instance_type,
        zones=tuple(zones),
        count=count,
        labels=dict(labels),
        taints=tuple(_taint(t, f"{where}.taints[{i}]") for i, t in enumerate(group.get("taints") or [])),
        capacity_type=capacity_type,
    )


def _taint(raw: object, where: str) -> Taint:
    taint = _mapping(raw, where)
    effect = taint.get("effect")
    if effect not in TAINT_EFFECTS:
        raise TopologyError(f"{where}.effect must be one of {', '.join(TAINT_EFFECTS)}, got {effect!r}")
    return Taint(_string(taint.get("key"), f"{where}.key"), str(taint.get("value", "")), effect)


def _mapping(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise TopologyError(f"{where} must be a mapping")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise TopologyError(f"{where} must be a non-empty string")
    return value
