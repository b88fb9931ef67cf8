"""Three small corrections to moto 5.2.5's ElastiCache replication groups, so a module can be idempotent against it.

1. CreateReplicationGroup ignores NumCacheClusters (cluster mode disabled): the
   group always gets one member unless ReplicasPerNodeGroup is given. AWS gives
   it NumCacheClusters members, so we pass the equivalent replica count.
2. DeleteReplicationGroup marks the group `deleting` and keeps it for ever; on
   AWS it goes away once deleted. We answer `deleting` and forget the group.
3. The members of a replication group are not cache clusters DescribeCacheClusters
   knows, and moto's cache clusters never return SecurityGroups or
   CacheParameterGroup. On AWS the members are where a client reads the engine
   version, subnet group, security groups and parameter group of the group, so
   we answer for a member with a view built from the group.

Not corrected here (moto lacks them; callers must live with it): ModifyReplicationGroup
ignores SecurityGroupIds, CacheParameterGroupName, EngineVersion and AuthToken;
IncreaseReplicaCount, DecreaseReplicaCount, the cache parameter group calls and
DeleteCacheSubnetGroup are not implemented; node groups carry no ReaderEndpoint.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from moto.elasticache import models as moto_elasticache


def install() -> None:
    group_init = moto_elasticache.ReplicationGroup.__init__
    if getattr(group_init, "_bespin", False):
        return
    backend = moto_elasticache.ElastiCacheBackend
    original_delete = backend.delete_replication_group
    original_describe_clusters = backend.describe_cache_clusters

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        clusters = kwargs.get("num_cache_clusters")
        if clusters and not kwargs.get("replicas_per_node_group") and kwargs.get("cluster_mode") != "enabled":
            kwargs["replicas_per_node_group"] = clusters - 1  # (1) moto counts members from the replicas only
        group_init(self, *args, **kwargs)

    def delete_replication_group(self: Any, replication_group_id: str, retain_primary_cluster: bool | None) -> Any:
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)  # (2) deleted at once
        return group

    def describe_cache_clusters(self: Any, cache_cluster_id: str | None = None) -> list[Any]:
        if cache_cluster_id and cache_cluster_id not in self.cache_clusters:
            for group in self.replication_groups.values():
                if cache_cluster_id in group.member_clusters:
                    return [_member_view(self, group, cache_cluster_id)]  # (3)
        return original_describe_clusters(self, cache_cluster_id)

    init._bespin = True  # type: ignore[attr-defined]
    moto_elasticache.ReplicationGroup.__init__ = init
    backend.delete_replication_group = delete_replication_group
    backend.describe_cache_clusters = describe_cache_clusters


def _member_view(backend: Any, group: Any, cache_cluster_id: str) -> SimpleNamespace:
    """A member cache cluster as DescribeCacheClusters shows it, from what the group was created with."""
    engine = group.engine or "redis"
    major = (group.engine_version or "7").split(".")[0]
    family = f"{engine}{major}" if not major.isdigit() or int(major) >= 7 else f"{engine}{major}.x"
    return SimpleNamespace(
        cache_cluster_id=cache_cluster_id,
        cache_node_type=group.cache_node_type,
        engine=engine,
        engine_version=group.engine_version,
        cache_cluster_status=group.status,
        num_cache_nodes=1,
        cache_subnet_group_name=group.cache_subnet_group_name,
        security_groups=[{"SecurityGroupId": sg, "Status": "active"} for sg in group.security_group_ids or []],
        # AWS names the engine's default group after its family (default.redis7, default.redis6.x).
        cache_parameter_group={
            "CacheParameterGroupName": group.cache_parameter_group_name or f"default.{family}",
            "ParameterApplyStatus": "in-sync",
        },
        replication_group_id=group.replication_group_id,
        snapshot_retention_limit=group.snapshot_retention_limit,
        auth_token_enabled=group.auth_token_enabled,
        transit_encryption_enabled=group.transit_encryption_enabled,
        at_rest_encryption_enabled=group.at_rest_encryption_enabled,
        arn=f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:cluster:{cache_cluster_id}",
    )
