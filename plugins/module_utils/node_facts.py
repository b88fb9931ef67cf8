# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts the eks_nodes inventory keeps per node, from a Node object and
(optionally) its EC2 instance. Pure functions, unit tested without a cluster."""

import re

_PROVIDER_ID = re.compile(r"^aws:///(?P<zone>[^/]+)/(?P<instance_id>i-[0-9a-f]+)$")
_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def node_facts(node):
    metadata, spec, status = node["metadata"], node.get("spec", {}), node.get("status", {})
    labels = metadata.get("labels") or {}
    provider = _PROVIDER_ID.match(spec.get("providerID") or "")
    addresses = {a["type"]: a["address"] for a in status.get("addresses") or []}
    ready = next((c["status"] == "True" for c in status.get("conditions") or [] if c["type"] == "Ready"), False)
    return {
        "name": metadata["name"],
        "labels": labels,
        "taints": [
            {key: taint[key] for key in ("key", "value", "effect") if key in taint}
            for taint in spec.get("taints") or []
        ],
        "zone": labels.get("topology.kubernetes.io/zone") or (provider.group("zone") if provider else None),
        "region": labels.get("topology.kubernetes.io/region"),
        "instance_type": labels.get("node.kubernetes.io/instance-type"),
        "nodegroup": labels.get("eks.amazonaws.com/nodegroup") or labels.get("karpenter.sh/nodepool"),
        "capacity_type": labels.get("eks.amazonaws.com/capacityType") or labels.get("karpenter.sh/capacity-type"),
        "internal_ip": addresses.get("InternalIP"),
        "provider_id": spec.get("providerID"),
        "instance_id": provider.group("instance_id") if provider else None,
        "ready": ready,
        "unschedulable": bool(spec.get("unschedulable")),
        "allocatable": status.get("allocatable") or {},
    }


def ec2_facts(instance):
    """What EC2 adds: the lifecycle (spot or on-demand) and the addresses it knows."""
    return {
        "lifecycle": instance.get("InstanceLifecycle", "on-demand"),
        "private_ip": instance.get("PrivateIpAddress"),
        "state": (instance.get("State") or {}).get("Name"),
        "launch_time": str(instance.get("LaunchTime")) if instance.get("LaunchTime") else None,
    }


def group_name(prefix, value):
    """A group name Ansible accepts: letters, digits and underscores."""
    return "{}_{}".format(prefix, _GROUP_UNSAFE.sub("_", value))
