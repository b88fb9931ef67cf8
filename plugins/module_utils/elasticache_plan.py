# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an elasticache_replication_group request changes: its checks, the settings compared, the API requests.

Pure functions over the module's parameters and ElastiCache's descriptions
(DescribeReplicationGroups, DescribeCacheClusters of a member, ListTagsForResource),
so the rules are unit-tested without an endpoint: every check runs before the
first write, only the settings the user gave are compared, and the modify
request carries the differences only. The AUTH token is never part of a
setting, a diff or a view: ElastiCache cannot return it, so only whether AUTH
is enabled is compared.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# ElastiCache's rules for a replication group id; it stores the id in lower case.
ID_MAX_LENGTH = 40
ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# AUTH tokens: 16-128 printable ASCII characters; of the non-alphanumeric ones ElastiCache accepts only these.
AUTH_TOKEN_MIN, AUTH_TOKEN_MAX = 16, 128
AUTH_TOKEN_SPECIALS = "!&#$^<>-"  # noqa: S105 - a character set, not a password
AUTH_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9!&#$^<>-]+$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
# One primary and up to five replicas in a group with cluster mode disabled.
MIN_CLUSTERS, MAX_CLUSTERS = 1, 6
MAX_SNAPSHOT_RETENTION = 35
PORT_MIN, PORT_MAX = 1, 65535
# A new group without num_cache_clusters gets a primary and one replica (what Multi-AZ needs).
DEFAULT_NEW_CLUSTERS = 2

# The settings compared, in the order the diff shows them.
SETTINGS = (
    "description",
    "engine",
    "engine_version",
    "cache_node_type",
    "num_cache_clusters",
    "automatic_failover_enabled",
    "multi_az_enabled",
    "transit_encryption_enabled",
    "at_rest_encryption_enabled",
    "auth_token_enabled",
    "cache_subnet_group_name",
    "security_group_ids",
    "cache_parameter_group_name",
    "port",
    "snapshot_retention_limit",
)
# Fixed when the group is created: ModifyReplicationGroup cannot change them (or, for transit encryption,
# only through a TransitEncryptionMode migration this module does not run).
IMMUTABLE = {
    "engine": "the engine of an existing replication group is fixed (moving from Redis OSS to Valkey is an "
    "engine upgrade this module does not run)",
    "at_rest_encryption_enabled": "at-rest encryption is chosen when a replication group is created",
    "cache_subnet_group_name": "the subnet group of an existing replication group cannot change",
    "port": "the port of an existing replication group cannot change",
    "transit_encryption_enabled": "in-transit encryption of an existing group changes only through a "
    "TransitEncryptionMode migration (preferred, then required), which this module does not run",
}
# Settings ModifyReplicationGroup changes, by its parameter names.
MODIFY_NAMES = {
    "description": "ReplicationGroupDescription",
    "engine_version": "EngineVersion",
    "cache_node_type": "CacheNodeType",
    "automatic_failover_enabled": "AutomaticFailoverEnabled",
    "multi_az_enabled": "MultiAZEnabled",
    "security_group_ids": "SecurityGroupIds",
    "cache_parameter_group_name": "CacheParameterGroupName",
    "snapshot_retention_limit": "SnapshotRetentionLimit",
}
# Statuses in which the group takes no modification; the module waits for `available`.
BUSY_STATES = ("creating", "modifying", "snapshotting", "deleting")
FAILED_STATES = ("create-failed",)


class RequestError(ValueError):
    """A request ElastiCache would refuse, or one this module will not carry out; the message starts with the
    option at fault."""


# Checks ----------------------------------------------------------------------------------------------


def normalise_id(value):
    """ElastiCache keeps replication group ids in lower case, whatever case they were created with."""
    return (value or "").strip().lower()


def validate_id(value):
    group_id = normalise_id(value)
    if not 1 <= len(group_id) <= ID_MAX_LENGTH:
        raise RequestError(
            f"replication_group_id: {value!r} must be 1 to {ID_MAX_LENGTH} characters long (it has {len(group_id)})"
        )
    if not ID_PATTERN.match(group_id):
        raise RequestError(
            f"replication_group_id: {value!r} must start with a letter and hold only letters, digits and single "
            "hyphens, and must not end with a hyphen"
        )
    return group_id


def validate_auth_token(token):
    """ElastiCache's AUTH token rules. The message never quotes the token."""
    if not AUTH_TOKEN_MIN <= len(token) <= AUTH_TOKEN_MAX:
        raise RequestError(
            f"auth_token: must be {AUTH_TOKEN_MIN} to {AUTH_TOKEN_MAX} characters long (it has {len(token)})"
        )
    if not AUTH_TOKEN_PATTERN.match(token):
        refused = sorted({c for c in token if not (c.isascii() and c.isalnum()) and c not in AUTH_TOKEN_SPECIALS})
        shown = ", ".join(
            "space" if c == " " else repr(c) if c.isprintable() else "a non-printable character" for c in refused
        )
        raise RequestError(
            f"auth_token: holds characters ElastiCache refuses ({shown}); letters, digits and "
            f'{" ".join(AUTH_TOKEN_SPECIALS)} only (no @, ", / or spaces)'
        )


def validate_request(params):
    """The checks that need no call to AWS. Returns the normalised group id; raises RequestError naming the option."""
    group_id = validate_id(params["replication_group_id"])
    if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        raise RequestError(f"wait_timeout: {params['wait_timeout']} must be a positive number of seconds")
    if params.get("state", "present") == "absent":
        return group_id

    clusters = params.get("num_cache_clusters")
    if clusters is not None and not MIN_CLUSTERS <= clusters <= MAX_CLUSTERS:
        raise RequestError(
            f"num_cache_clusters: {clusters} is out of range; a replication group has {MIN_CLUSTERS} to "
            f"{MAX_CLUSTERS} cache clusters (one primary and up to {MAX_CLUSTERS - 1} replicas)"
        )
    if params.get("multi_az_enabled") and params.get("automatic_failover_enabled") is False:
        raise RequestError("multi_az_enabled: Multi-AZ needs automatic_failover_enabled=true")
    if clusters is not None and clusters < 2:
        for option in ("multi_az_enabled", "automatic_failover_enabled"):
            if params.get(option):
                raise RequestError(
                    f"{option}: needs at least 2 cache clusters (a primary and a replica), "
                    f"num_cache_clusters is {clusters}"
                )
    port = params.get("port")
    if port is not None and not PORT_MIN <= port <= PORT_MAX:
        raise RequestError(f"port: {port} is not a TCP port ({PORT_MIN}-{PORT_MAX})")
    retention = params.get("snapshot_retention_limit")
    if retention is not None and not 0 <= retention <= MAX_SNAPSHOT_RETENTION:
        raise RequestError(
            f"snapshot_retention_limit: {retention} must be 0 (no automatic backups) to {MAX_SNAPSHOT_RETENTION} days"
        )
    for group in params.get("security_group_ids") or []:
        if not SECURITY_GROUP_ID.match(str(group)):
            raise RequestError(f"security_group_ids: {group!r} is not a security group id (sg-0123456789abcdef0)")
    token = params.get("auth_token")
    if token is not None:
        if not params.get("transit_encryption_enabled"):
            raise RequestError(
                "auth_token: AUTH needs in-transit encryption; set transit_encryption_enabled=true or leave "
                "auth_token out"
            )
        validate_auth_token(token)
    elif params.get("update_auth_token") == "always":
        raise RequestError("update_auth_token: 'always' rotates the AUTH token, so auth_token must be set")
    for option in (
        "engine_version",
        "cache_node_type",
        "description",
        "cache_subnet_group_name",
        "cache_parameter_group_name",
    ):
        if params.get(option) is not None and not str(params[option]).strip():
            raise RequestError(f"{option}: must not be empty (leave it out to keep the current value)")
    return group_id


def validate_create(params):
    """What only a new group needs."""
    if not params.get("cache_node_type"):
        raise RequestError("cache_node_type: required to create a replication group (for example cache.t4g.small)")


def validate_against_current(desired, current):
    """Checks against the existing group, before any write: immutable settings, failover with the group's clusters,
    engine downgrades. Raises RequestError naming the option."""
    if current.get("cluster_enabled"):
        raise RequestError(
            "replication_group_id: the group runs in cluster mode (sharded); this module manages groups with "
            "cluster mode disabled only"
        )
    for key, why in IMMUTABLE.items():
        wanted, have = desired.get(key), current.get(key)
        if wanted is not None and have is not None and wanted != have:
            raise RequestError(f"{key}: the group has {_shown(have)}, the request asks for {_shown(wanted)}; {why}")
    clusters = desired.get("num_cache_clusters") or current.get("num_cache_clusters")
    if clusters is not None and clusters < 2:
        for key in ("multi_az_enabled", "automatic_failover_enabled"):
            if desired.get(key):
                raise RequestError(
                    f"{key}: needs at least 2 cache clusters; the group has {clusters} (set num_cache_clusters)"
                )
    wanted, have = desired.get("engine_version"), current.get("engine_version")
    if wanted and have and not engine_version_matches(have, wanted) and _version_key(wanted) < _version_key(have):
        raise RequestError(f"engine_version: the group runs {have}; ElastiCache cannot downgrade it to {wanted}")


def _shown(value):
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) else str(value)


def _version_key(version):
    return [int(part) for part in re.findall(r"\d+", str(version))]


def engine_version_matches(current, wanted):
    """`7.1` asks for the 7.1 line, which ElastiCache describes as 7.1.0 (or 7.1.x); `6.x` for any 6."""
    current, wanted = str(current), str(wanted)
    if current == wanted:
        return True
    prefix = wanted[:-2] if wanted.endswith(".x") else wanted
    return current.startswith(prefix + ".")


# Settings --------------------------------------------------------------------------------------------


def _enabled(status):
    """AutomaticFailover and MultiAZ: enabled/enabling count as on, disabled/disabling as off."""
    return None if status is None else status in ("enabled", "enabling")


def current_settings(group, member=None, tags=None):
    """The comparable settings of an existing group. `member` is DescribeCacheClusters' view of one member cluster
    (engine version, subnet group, security groups, parameter group); without it those settings are unknown (None)
    and not compared."""
    node_groups = group.get("NodeGroups") or [{}]
    endpoint = node_groups[0].get("PrimaryEndpoint") or {}
    member = member or {}
    pending = member.get("PendingModifiedValues") or {}
    security_groups = member.get("SecurityGroups")
    parameter_group = member.get("CacheParameterGroup") or {}
    return dict(
        description=group.get("Description"),
        engine=group.get("Engine") or member.get("Engine"),
        # A change waiting for the maintenance window counts as made: asking for it again would change nothing.
        engine_version=pending.get("EngineVersion") or member.get("EngineVersion"),
        cache_node_type=pending.get("CacheNodeType") or group.get("CacheNodeType"),
        num_cache_clusters=len(group.get("MemberClusters") or []),
        automatic_failover_enabled=_enabled(group.get("AutomaticFailover")),
        multi_az_enabled=_enabled(group.get("MultiAZ")),
        transit_encryption_enabled=bool(group.get("TransitEncryptionEnabled")),
        at_rest_encryption_enabled=bool(group.get("AtRestEncryptionEnabled")),
        auth_token_enabled=bool(group.get("AuthTokenEnabled")),
        cache_subnet_group_name=member.get("CacheSubnetGroupName"),
        security_group_ids=(
            sorted(sg["SecurityGroupId"] for sg in security_groups) if security_groups is not None else None
        ),
        cache_parameter_group_name=parameter_group.get("CacheParameterGroupName"),
        port=endpoint.get("Port") or (member.get("ConfigurationEndpoint") or {}).get("Port"),
        snapshot_retention_limit=group.get("SnapshotRetentionLimit"),
        cluster_enabled=bool(group.get("ClusterEnabled")),
        tags=dict(tags or {}),
    )


def desired_settings(params):
    """The settings the request manages; None where an option was left out (the group keeps its value)."""
    security_groups = params.get("security_group_ids")
    return dict(
        description=params.get("description"),
        engine=params.get("engine"),
        engine_version=params.get("engine_version"),
        cache_node_type=params.get("cache_node_type"),
        num_cache_clusters=params.get("num_cache_clusters"),
        automatic_failover_enabled=params.get("automatic_failover_enabled"),
        multi_az_enabled=params.get("multi_az_enabled"),
        transit_encryption_enabled=params.get("transit_encryption_enabled"),
        at_rest_encryption_enabled=params.get("at_rest_encryption_enabled"),
        auth_token_enabled=True if params.get("auth_token") else None,
        cache_subnet_group_name=params.get("cache_subnet_group_name"),
        security_group_ids=sorted(set(security_groups)) if security_groups is not None else None,
        cache_parameter_group_name=params.get("cache_parameter_group_name"),
        port=params.get("port"),
        snapshot_retention_limit=params.get("snapshot_retention_limit"),
        tags=params.get("tags"),
    )


def settings_for_create(params, group_id):
    """The settings a new group will have (what check mode and the diff predict); unknown defaults are None."""
    desired = desired_settings(params)
    return dict(
        desired,
        description=desired["description"] or group_id,
        num_cache_clusters=desired["num_cache_clusters"] or DEFAULT_NEW_CLUSTERS,
        auth_token_enabled=bool(params.get("auth_token")),
        snapshot_retention_limit=desired["snapshot_retention_limit"] or 0,
        tags=desired["tags"] or {},
    )


def diff_view(settings, shown=None):
    """The settings shown in --diff (never the token: only whether AUTH is on)."""
    if not settings:
        return {}
    keys = shown if shown is not None else [*SETTINGS, "tags"]
    return {key: settings.get(key) for key in keys}


def shown_settings(desired):
    """The settings a diff shows for an existing group: those the request manages."""
    shown = [key for key in SETTINGS if desired.get(key) is not None]
    if "auth_token_enabled" not in shown:
        shown.append("auth_token_enabled")
    if desired.get("tags") is not None:
        shown.append("tags")
    return shown


# Requests --------------------------------------------------------------------------------------------


def create_request(params, group_id):
    """CreateReplicationGroup's parameters (cluster mode disabled: one shard, NumCacheClusters nodes)."""
    desired = settings_for_create(params, group_id)
    request = dict(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription=desired["description"],
        Engine=desired["engine"],
        CacheNodeType=desired["cache_node_type"],
        NumCacheClusters=desired["num_cache_clusters"],
        AutomaticFailoverEnabled=bool(desired["automatic_failover_enabled"]),
        MultiAZEnabled=bool(desired["multi_az_enabled"]),
        TransitEncryptionEnabled=bool(desired["transit_encryption_enabled"]),
        AtRestEncryptionEnabled=bool(desired["at_rest_encryption_enabled"]),
        Port=desired["port"],
    )
    optional = {
        "EngineVersion": desired["engine_version"],
        "CacheSubnetGroupName": desired["cache_subnet_group_name"],
        "SecurityGroupIds": desired["security_group_ids"],
        "CacheParameterGroupName": desired["cache_parameter_group_name"],
        "SnapshotRetentionLimit": params.get("snapshot_retention_limit"),
        "AuthToken": params.get("auth_token"),
    }
    request.update({key: value for key, value in optional.items() if value is not None})
    if desired["tags"]:
        request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in sorted(desired["tags"].items())]
    return request


class Plan:
    """The writes that bring an existing group to the request.

    changes: {setting: new value} for the settings that differ; modify: ModifyReplicationGroup's parameters (None
    when nothing it carries changes); replicas: the new NumCacheClusters (IncreaseReplicaCount or
    DecreaseReplicaCount), None when unchanged; replicas_first: whether the replica change goes before the
    modification (adding replicas before turning failover on, removing them after turning it off);
    rotate_token: whether the request sends the AUTH token; tags_to_set / tags_to_remove.
    """

    def __init__(self, changes, modify, replicas, replicas_first, rotate_token, tags_to_set, tags_to_remove):
        self.changes = changes
        self.modify = modify
        self.replicas = replicas
        self.replicas_first = replicas_first
        self.rotate_token = rotate_token
        self.tags_to_set = tags_to_set
        self.tags_to_remove = tags_to_remove

    @property
    def changed(self):
        return bool(self.modify or self.replicas is not None or self.tags_to_set or self.tags_to_remove)


def _differs(key, have, wanted):
    # None on either side: not managed by the request, or not known (a member cluster that could not be read).
    if wanted is None or have is None:
        return False
    if key == "engine_version":
        return not engine_version_matches(have, wanted)
    return have != wanted


def plan_modify(group_id, current, desired, params):
    """Only the differences; validate_against_current has run. `params` gives auth_token, update_auth_token,
    apply_immediately and purge_tags."""
    changes = {
        key: desired[key]
        for key in SETTINGS
        if key not in IMMUTABLE and key != "auth_token_enabled" and _differs(key, current.get(key), desired[key])
    }
    token = params.get("auth_token")
    # The token cannot be read back: it is sent when AUTH is off (turning it on) or when rotation is asked for.
    rotate_token = bool(token) and (
        not current.get("auth_token_enabled") or params.get("update_auth_token") == "always"
    )
    if rotate_token and not current.get("auth_token_enabled"):
        changes["auth_token_enabled"] = True

    modify = {MODIFY_NAMES[key]: value for key, value in changes.items() if key in MODIFY_NAMES}
    if rotate_token:
        modify.update(AuthToken=token, AuthTokenUpdateStrategy="ROTATE")
    if modify:
        # A token change is refused unless applied immediately.
        apply_now = bool(params.get("apply_immediately", True)) or rotate_token
        modify = dict(ReplicationGroupId=group_id, ApplyImmediately=apply_now, **modify)
    replicas = changes.get("num_cache_clusters")
    replicas_first = replicas is not None and replicas > (current.get("num_cache_clusters") or 0)

    tags_to_set, tags_to_remove = {}, []
    if desired.get("tags") is not None:
        wanted_tags = {k: str(v) for k, v in desired["tags"].items()}
        tags_to_set, tags_to_remove = compare_aws_tags(
            current.get("tags") or {}, wanted_tags, params.get("purge_tags", True)
        )
    return Plan(changes, modify or None, replicas, replicas_first, rotate_token, tags_to_set, sorted(tags_to_remove))


def settings_after(current, plan):
    after = dict(current, **plan.changes)
    tags = {k: v for k, v in (current.get("tags") or {}).items() if k not in plan.tags_to_remove}
    tags.update(plan.tags_to_set)
    after["tags"] = tags
    return after


def replica_request(group_id, clusters):
    """IncreaseReplicaCount/DecreaseReplicaCount's parameters: replicas are the clusters beside the primary."""
    return dict(ReplicationGroupId=group_id, NewReplicaCount=clusters - 1, ApplyImmediately=True)


# The view returned -----------------------------------------------------------------------------------


def _endpoint(value):
    return {"address": value.get("Address"), "port": value.get("Port")} if value else None


def group_view(group, member=None, tags=None):
    """The replication group as the module returns it (snake case, no secret)."""
    if not group:
        return {}
    settings = current_settings(group, member, tags)
    node_groups = group.get("NodeGroups") or [{}]
    return dict(
        id=group.get("ReplicationGroupId"),
        arn=group.get("ARN"),
        description=group.get("Description"),
        status=group.get("Status"),
        engine=settings["engine"],
        engine_version=settings["engine_version"],
        cache_node_type=group.get("CacheNodeType"),
        primary_endpoint=_endpoint(node_groups[0].get("PrimaryEndpoint")),
        reader_endpoint=_endpoint(node_groups[0].get("ReaderEndpoint")),
        member_clusters=list(group.get("MemberClusters") or []),
        num_cache_clusters=settings["num_cache_clusters"],
        multi_az=group.get("MultiAZ"),
        automatic_failover=group.get("AutomaticFailover"),
        transit_encryption_enabled=settings["transit_encryption_enabled"],
        at_rest_encryption_enabled=settings["at_rest_encryption_enabled"],
        auth_token_enabled=settings["auth_token_enabled"],
        cache_subnet_group_name=settings["cache_subnet_group_name"],
        security_group_ids=settings["security_group_ids"],
        cache_parameter_group_name=settings["cache_parameter_group_name"],
        port=settings["port"],
        snapshot_retention_limit=settings["snapshot_retention_limit"],
        tags=settings["tags"],
    )
