"""The EKS add-on catalogue the stand-in serves: add-ons, versions per Kubernetes version, schemas.

Our own data, shaped after what DescribeAddonVersions and DescribeAddonConfiguration
answer in AWS: each version lists the cluster versions it supports and which
one it is the default for; each add-on has a JSON schema for its
configurationValues (unknown keys are rejected, as EKS does).
"""

from __future__ import annotations

from dataclasses import dataclass

KUBERNETES_VERSIONS = ("1.33", "1.34", "1.35", "1.36")


@dataclass(frozen=True)
class AddonVersion:
    version: str
    clusters: tuple[str, ...]  # Kubernetes versions it runs on
    default_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddonSpec:
    name: str
    type: str
    versions: tuple[AddonVersion, ...]  # newest first, as AWS lists them
    schema: dict
    owner: str = "aws"
    publisher: str = "eks"
    namespace: str = "kube-system"
    requires_iam: bool = False
    # Pod Identity: the service account the add-on runs as and the policies AWS recommends.
    service_account: str | None = None
    recommended_policies: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ("amd64", "arm64")
    compute_types: tuple[str, ...] = ("ec2", "hybrid")

    def version(self, version: str) -> AddonVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    def compatible(self, kubernetes_version: str) -> list[AddonVersion]:
        return [v for v in self.versions if kubernetes_version in v.clusters]

    def default_version(self, kubernetes_version: str) -> AddonVersion | None:
        compatible = self.compatible(kubernetes_version)
        return next(
            (v for v in compatible if kubernetes_version in v.default_for), compatible[0] if compatible else None
        )


def _schema(properties: dict) -> dict:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


_RESOURCES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "limits": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "requests": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
    },
}
_TOLERATIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string"},
            "operator": {"enum": ["Equal", "Exists"]},
            "value": {"type": "string"},
            "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute", ""]},
            "tolerationSeconds": {"type": "integer"},
        },
    },
}
_NODE_SELECTOR = {"type": "object", "additionalProperties": {"type": "string"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_ALL = KUBERNETES_VERSIONS

ADDONS: dict[str, AddonSpec] = {
    spec.name: spec
    for spec in (
        AddonSpec(
            name="vpc-cni",
            type="networking",
            requires_iam=True,
            service_account="aws-node",
            recommended_policies=("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",),
            versions=(
                AddonVersion("v1.20.4-eksbuild.2", _ALL, default_for=("1.35", "1.36")),
                AddonVersion("v1.20.1-eksbuild.3", _ALL, default_for=("1.34",)),
                AddonVersion("v1.19.6-eksbuild.7", ("1.33", "1.34", "1.35"), default_for=("1.33",)),
                AddonVersion("v1.19.2-eksbuild.1", ("1.33",)),
            ),
            schema=_schema(
                {
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                    "enableNetworkPolicy": {"type": "string", "enum": ["true", "false"]},
                    "enableWindowsIpam": {"type": "string", "enum": ["true", "false"]},
                    "resources": _RESOURCES,
                    "tolerations": _TOLERATIONS,
                    "nodeAgent": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "enablePolicyEventLogs": {"type": "string"},
                            "healthProbeBindAddr": {"type": "string"},
                        },
                    },
                }
            ),
        ),
        AddonSpec(
            name="coredns",
            type="networking",
            versions=(
                AddonVersion("v1.13.1-eksbuild.1", ("1.36",), default_for=("1.36",)),
                AddonVersion("v1.12.4-eksbuild.1", ("1.35", "1.36"), default_for=("1.35",)),
                AddonVersion("v1.12.3-eksbuild.1", ("1.34", "1.35"), default_for=("1.34",)),
                AddonVersion("v1.12.1-eksbuild.2", ("1.33", "1.34"), default_for=("1.33",)),
                AddonVersion("v1.11.4-eksbuild.14", ("1.33",)),
            ),
            schema=_schema(
                {
                    "replicaCount": {"type": "integer", "minimum": 1},
                    "resources": _RESOURCES,
                    "tolerations": _TOLERATIONS,
                    "nodeSelector": _NODE_SELECTOR,
                    "affinity": {"type": ["object", "null"]},
                    "podAnnotations": _STRING_MAP,
                    "podLabels": _STRING_MAP,
                    "corefile": {"type": "string"},
                    "autoScaling": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "enabled": {"type": "boolean"},
                            "minReplicas": {"type": "integer", "minimum": 2},
                            "maxReplicas": {"type": "integer", "minimum": 2},
                        },
                    },
                }
            ),
        ),
        AddonSpec(
            name="kube-proxy",
            type="networking",
            versions=(
                AddonVersion("v1.36.0-eksbuild.2", ("1.36",), default_for=("1.36",)),
                AddonVersion("v1.35.1-eksbuild.1", ("1.35",), default_for=("1.35",)),
                AddonVersion("v1.34.0-eksbuild.4", ("1.34",), default_for=("1.34",)),
                AddonVersion("v1.33.3-eksbuild.6", ("1.33",)),
                AddonVersion("v1.33.0-eksbuild.2", ("1.33",), default_for=("1.33",)),
            ),
            schema=_schema(
                {
                    "mode": {"enum": ["iptables", "ipvs", "nftables"]},
                    "resources": _RESOURCES,
                    "ipvs": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"scheduler": {"type": "string"}},
                    },
                    "podAnnotations": _STRING_MAP,
                }
            ),
        ),
        AddonSpec(
            name="aws-ebs-csi-driver",
            type="storage",
            requires_iam=True,
            service_account="ebs-csi-controller-sa",
            recommended_policies=("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",),
            versions=(
                AddonVersion("v1.48.0-eksbuild.2", _ALL, default_for=_ALL),
                AddonVersion("v1.47.0-eksbuild.1", _ALL),
                AddonVersion("v1.45.0-eksbuild.2", ("1.33", "1.34")),
            ),
            schema=_schema(
                {
                    "controller": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "replicaCount": {"type": "integer", "minimum": 1},
                            "resources": _RESOURCES,
                            "tolerations": _TOLERATIONS,
                            "nodeSelector": _NODE_SELECTOR,
                            "extraVolumeTags": _STRING_MAP,
                        },
                    },
                    "node": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"tolerateAllTaints": {"type": "boolean"}, "tolerations": _TOLERATIONS},
                    },
                    "defaultStorageClass": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"enabled": {"type": "boolean"}},
                    },
                }
            ),
        ),
        AddonSpec(
            name="aws-efs-csi-driver",
            type="storage",
            requires_iam=True,
            service_account="efs-csi-controller-sa",
            recommended_policies=("arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",),
            versions=(
                AddonVersion("v2.1.11-eksbuild.1", _ALL, default_for=_ALL),
                AddonVersion("v2.1.9-eksbuild.1", ("1.33", "1.34", "1.35")),
            ),
            schema=_schema(
                {
                    "controller": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "replicaCount": {"type": "integer", "minimum": 1},
                            "resources": _RESOURCES,
                            "tolerations": _TOLERATIONS,
                            "nodeSelector": _NODE_SELECTOR,
                        },
                    },
                    "node": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"tolerateAllTaints": {"type": "boolean"}, "tolerations": _TOLERATIONS},
                    },
                }
            ),
        ),
        AddonSpec(
            name="snapshot-controller",
            type="storage",
            versions=(
                AddonVersion("v8.3.0-eksbuild.1", _ALL, default_for=_ALL),
                AddonVersion("v8.2.0-eksbuild.1", ("1.33", "1.34")),
            ),
            schema=_schema(
                {
                    "replicaCount": {"type": "integer", "minimum": 1},
                    "resources": _RESOURCES,
                    "tolerations": _TOLERATIONS,
                    "nodeSelector": _NODE_SELECTOR,
                }
            ),
        ),
        AddonSpec(
            name="eks-pod-identity-agent",
            type="security",
            versions=(
                AddonVersion("v1.3.8-eksbuild.2", _ALL, default_for=_ALL),
                AddonVersion("v1.3.7-eksbuild.2", ("1.33", "1.34", "1.35")),
            ),
            schema=_schema(
                {
                    "agent": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"additionalArgs": _STRING_MAP},
                    },
                    "resources": _RESOURCES,
                    "tolerations": _TOLERATIONS,
                    "nodeSelector": _NODE_SELECTOR,
                }
            ),
        ),
        AddonSpec(
            name="metrics-server",
            type="observability",
            owner="community",
            namespace="kube-system",
            versions=(
                AddonVersion("v0.8.0-eksbuild.2", _ALL, default_for=_ALL),
                AddonVersion("v0.7.2-eksbuild.4", ("1.33", "1.34")),
            ),
            schema=_schema(
                {
                    "replicas": {"type": "integer", "minimum": 1},
                    "args": {"type": "array", "items": {"type": "string"}},
                    "resources": _RESOURCES,
                    "tolerations": _TOLERATIONS,
                    "nodeSelector": _NODE_SELECTOR,
                }
            ),
        ),
    )
}
