"""Kubernetes Node objects for the simulated EKS workers of a topology."""

from __future__ import annotations

import hashlib
import uuid

from .instance_types import INSTANCE_TYPES
from .topology import SimulatedNode, Topology

# kwok manages only nodes carrying this annotation (see components.py).
KWOK_ANNOTATION = {"kwok.x-k8s.io/node": "fake"}
# Taints the node lifecycle controller adds and removes itself: never seeded, never reset.
CONTROLLER_TAINT_PREFIX = "node.kubernetes.io/"
# A kubelet version string of the shape EKS AMIs report.
_KUBELET_VERSION = "v{version}.0-eks-bespin"


def _uuid(instance_id: str, purpose: str) -> uuid.UUID:
    return uuid.UUID(hashlib.sha256(f"{instance_id}/{purpose}".encode()).hexdigest()[:32])


def seeded_labels(node: SimulatedNode, topology: Topology) -> dict[str, str]:
    group = node.nodegroup
    arch = INSTANCE_TYPES[group.instance_type].arch
    return {
        **group.labels,
        "eks.amazonaws.com/nodegroup": group.name,
        "eks.amazonaws.com/capacityType": group.capacity_type,
        "eks.amazonaws.com/nodegroup-image": "ami-0bespin0sandbox0",
        "topology.kubernetes.io/region": topology.region,
        "topology.kubernetes.io/zone": node.zone,
        "failure-domain.beta.kubernetes.io/region": topology.region,
        "failure-domain.beta.kubernetes.io/zone": node.zone,
        "node.kubernetes.io/instance-type": group.instance_type,
        "beta.kubernetes.io/instance-type": group.instance_type,
        "kubernetes.io/hostname": node.name,
        "kubernetes.io/os": "linux",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "beta.kubernetes.io/arch": arch,
        "type": "kwok",
    }


def seeded_taints(node: SimulatedNode) -> list[dict[str, str]]:
    return [taint.as_k8s() for taint in node.nodegroup.taints]


def manifest(node: SimulatedNode, topology: Topology) -> dict:
    instance_type = INSTANCE_TYPES[node.nodegroup.instance_type]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node.name,
            "labels": seeded_labels(node, topology),
            "annotations": {**KWOK_ANNOTATION, "node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"providerID": node.provider_id, "taints": seeded_taints(node)},
        "status": {
            "capacity": instance_type.capacity(),
            "allocatable": instance_type.allocatable(),
            "addresses": [
                {"type": "InternalIP", "address": node.private_ip},
                {"type": "Hostname", "address": node.name},
                {"type": "InternalDNS", "address": node.name},
            ],
            "nodeInfo": {
                "architecture": instance_type.arch,
                "operatingSystem": "linux",
                "osImage": "Amazon Linux 2023.9.20261101",
                "kernelVersion": "6.12.40-63.114.amzn2023.x86_64",
                "containerRuntimeVersion": "containerd://2.1.4",
                "kubeletVersion": _KUBELET_VERSION.format(version=topology.kubernetes_version),
                "kubeProxyVersion": "",
                # EC2 machines report an "ec2"-prefixed system UUID; boot ids are UUIDs.
                # (Always strings with letters or dashes: kwok's templates would turn an
                # all-digit value into a number and fail to patch the node.)
                "machineID": _uuid(node.instance_id, "machine").hex,
                "systemUUID": "ec2" + str(_uuid(node.instance_id, "system"))[3:],
                "bootID": str(_uuid(node.instance_id, "boot")),
            },
        },
    }
