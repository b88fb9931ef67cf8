"""In-process access to moto's backends, for what its HTTP API cannot do.

The AWS server runs moto in our own process, so the EKS add-on API reads the
clusters and nodegroups straight from moto's EKS backend, and seeding creates
EC2 instances with the instance ids the Kubernetes nodes already carry
(RunInstances has no way to choose an id).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import instances as moto_instances
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.eks import models as moto_eks

from . import elasticache_fixes, route53_failover

_chosen_ids = threading.local()
_original_random_instance_id = moto_instances.random_instance_id


def _random_instance_id() -> str:
    queue = getattr(_chosen_ids, "queue", None)
    return queue.pop(0) if queue else _original_random_instance_id()


def _issuer(account_id: str, region: str, name: str) -> str:
    digest = hashlib.sha256(f"{account_id}/{region}/{name}".encode()).hexdigest()[:32].upper()
    return f"https://oidc.eks.{region}.amazonaws.com/id/{digest}"


def _get_tags(self: Any) -> list[dict[str, str]]:
    """One resource's tags by key lookup; moto scans every tag of every resource, so filtering
    1,000 instances by tag took 7 s a page. Same result as moto's describe_tags by resource id."""
    if not self.id:
        return []
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    tags = self.ec2_backend.tags.get(self.id, {})
    return [{"resource_id": self.id, "key": k, "value": v, "resource_type": kind} for k, v in tags.items()]


def install_patches(cluster_endpoint: str | None = None, cluster_ca_file: Path | None = None) -> None:
    """Deterministic OIDC issuers (moto shares one random issuer per process), choosable instance ids,
    tag lookups that scale to the 1,000-node topology, and clusters whose endpoint and CA are the
    sandbox's Kubernetes API (so clients can connect from DescribeCluster alone, as with EKS)."""
    TaggedEC2Resource.get_tags = _get_tags
    elasticache_fixes.install()  # replication groups as AWS keeps them (see that module)
    route53_failover.install()  # health-check status the DR drill can set (see that module)
    original_init = moto_eks.Cluster.__init__
    if getattr(original_init, "_bespin", False):
        return

    def cluster_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # Stable across restarts, so IAM trust policies naming the provider keep working.
        self.identity = {"oidc": {"issuer": _issuer(kwargs["account_id"], kwargs["region_name"], kwargs["name"])}}
        if cluster_endpoint:
            self.endpoint = cluster_endpoint
        if cluster_ca_file and cluster_ca_file.exists():
            self.certificate_authority = {"data": base64.b64encode(cluster_ca_file.read_bytes()).decode()}

    cluster_init._bespin = True  # type: ignore[attr-defined]
    moto_eks.Cluster.__init__ = cluster_init
    moto_instances.random_instance_id = _random_instance_id


def account_for(access_key: str | None) -> str:
    # Only keys IAM or STS issued (AKIA/ASIA) can belong to another account; the dummy keys are moto's default.
    if not access_key or not access_key.startswith(("AKIA", "ASIA")):
        return DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    try:
        return get_account_id_from(access_key)
    except AttributeError:  # an IAM backend still being built by another thread
        return DEFAULT_ACCOUNT_ID


def eks_cluster_names(account_id: str, region: str) -> list[str]:
    return list(get_backend("eks")[account_id][region].clusters)


def eks_cluster(account_id: str, region: str, name: str) -> Any | None:
    return get_backend("eks")[account_id][region].clusters.get(name)


def schedulable_nodegroups(cluster: Any, tolerated: set[tuple[str, str]]) -> list[str]:
    """Nodegroups with nodes a pod can land on: no NoSchedule/NoExecute taint it does not tolerate.

    ``tolerated`` holds (key, effect) pairs; ("", "") tolerates everything.
    """
    usable = []
    for group in cluster.nodegroups.values():
        if not group.scaling_config.get("desiredSize"):
            continue
        blocking = [
            t
            for t in group.taints
            if t.get("effect") in ("NO_SCHEDULE", "NO_EXECUTE")
            and ("", "") not in tolerated
            and (t.get("key"), t.get("effect")) not in tolerated
            and (t.get("key"), "") not in tolerated
        ]
        if not blocking:
            usable.append(group.nodegroup_name)
    return usable


def seed_instances(account_id: str, region: str, nodes: list[dict]) -> int:
    """Create the EC2 instances of the simulated nodes that do not exist yet; returns how many were created.

    Each node: instance_id, private_ip, subnet_id, instance_type, image_id, spot, tags.
    """
    ec2 = get_backend("ec2")[account_id][region]
    existing = {instance.id for instance in ec2.all_instances()}
    missing = [node for node in nodes if node["instance_id"] not in existing]
    with _seeding_lock, _fast_lookups(ec2):
        for node in missing:
            _chosen_ids.queue = [node["instance_id"]]
            try:
                ec2.run_instances(
                    node["image_id"],
                    1,
                    None,
                    [],
                    subnet_id=node["subnet_id"],
                    private_ip=node["private_ip"],
                    instance_type=node["instance_type"],
                    # Skips a scan of every instance type offering (our types come from a validated topology).
                    is_instance_type_default=True,
                    region_name=region,
                    lifecycle="spot" if node["spot"] else None,
                    tags={"instance": node["tags"]},
                )
            finally:
                _chosen_ids.queue = []
    return len(missing)


_seeding_lock = threading.Lock()


@contextmanager
def _fast_lookups(ec2: Any) -> Iterator[None]:
    """While seeding, answer two of moto's linear scans in constant time.

    Each RunInstances filters every known AMI and scans every instance to attach
    the root volume: quadratic for 1,000 nodes (over 10 s), linear with these.
    """
    original_images, original_get = ec2.describe_images, ec2.get_instance
    images: dict[str, Any] = {}

    def describe_images(*args: Any, **kwargs: Any) -> Any:
        image_id = (kwargs.get("filters") or {}).get("image-id")
        if args or set(kwargs) != {"filters"} or set(kwargs["filters"]) != {"image-id"}:
            return original_images(*args, **kwargs)
        if image_id not in images:
            images[image_id] = original_images(**kwargs)
        return images[image_id]

    def get_instance(instance_id: str) -> Any:
        latest = next(reversed(ec2.reservations.values()), None)
        for instance in latest.instances if latest else []:
            if instance.id == instance_id:
                return instance
        return original_get(instance_id)

    ec2.describe_images, ec2.get_instance = describe_images, get_instance
    try:
        yield
    finally:
        del ec2.describe_images, ec2.get_instance  # the class's own methods again


def inventory(account_id: str, region: str) -> dict[str, int]:
    """How many objects of the kinds tests create exist now (reset reports the difference)."""
    ec2 = get_backend("ec2")[account_id][region]
    iam = get_backend("iam")[account_id]["global"]
    route53 = get_backend("route53")[account_id]["global"]
    customer_policies = [p for p in iam.managed_policies.values() if f":{account_id}:" in p.arn]
    return {
        "ec2 instances": sum(1 for i in ec2.all_instances() if i.state != "terminated"),
        "ec2 vpcs": len(ec2.vpcs),
        "iam roles": len(iam.roles),
        "iam policies": len(customer_policies),
        "iam users": len(iam.users),
        "secrets": len(get_backend("secretsmanager")[account_id][region].secrets),
        "route53 zones": len(route53.zones),
        "route53 records": sum(len(zone.rrsets) for zone in route53.zones.values()),
        "route53 health checks": len(route53.health_checks),
        "elasticache replication groups": len(get_backend("elasticache")[account_id][region].replication_groups),
        "eks clusters": len(get_backend("eks")[account_id][region].clusters),
    }
