"""elasticache_plan: the request's own checks, what differs from the group, and the requests sent."""

# The tokens here are made up for the checks: S105/S106 (hard-coded passwords) do not apply.
# ruff: noqa: S105, S106

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.elasticache_plan import (
    RequestError,
    create_request,
    current_settings,
    desired_settings,
    diff_view,
    engine_version_matches,
    group_view,
    plan_modify,
    replica_request,
    settings_after,
    settings_for_create,
    shown_settings,
    validate_against_current,
    validate_create,
    validate_request,
)

TOKEN = "Sessions-token-0123456789"
GROUP = {
    "ReplicationGroupId": "petclinic-sessions",
    "Description": "Petclinic HTTP sessions",
    "Status": "available",
    "MemberClusters": ["petclinic-sessions-001", "petclinic-sessions-002"],
    "NodeGroups": [
        {
            "NodeGroupId": "0001",
            "PrimaryEndpoint": {"Address": "master.petclinic-sessions.x.cache.amazonaws.com", "Port": 6379},
            "ReaderEndpoint": {"Address": "replica.petclinic-sessions.x.cache.amazonaws.com", "Port": 6379},
        }
    ],
    "AutomaticFailover": "enabled",
    "MultiAZ": "enabled",
    "SnapshotRetentionLimit": 1,
    "ClusterEnabled": False,
    "CacheNodeType": "cache.t4g.small",
    "AuthTokenEnabled": True,
    "TransitEncryptionEnabled": True,
    "AtRestEncryptionEnabled": True,
    "ARN": "arn:aws:elasticache:ap-northeast-2:123456789012:replicationgroup:petclinic-sessions",
    "Engine": "redis",
}
MEMBER = {
    "CacheClusterId": "petclinic-sessions-001",
    "Engine": "redis",
    "EngineVersion": "7.1.0",
    "CacheSubnetGroupName": "petclinic-sessions",
    "SecurityGroups": [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}],
    "CacheParameterGroup": {"CacheParameterGroupName": "default.redis7", "ParameterApplyStatus": "in-sync"},
}
TAGS = {"team": "platform"}


def params(**given):
    """The module's parameters with its defaults, as Ansible hands them over."""
    base = dict(
        replication_group_id="petclinic-sessions",
        description=None,
        state="present",
        engine="redis",
        engine_version=None,
        cache_node_type="cache.t4g.small",
        num_cache_clusters=None,
        automatic_failover_enabled=True,
        multi_az_enabled=True,
        transit_encryption_enabled=True,
        at_rest_encryption_enabled=True,
        auth_token=None,
        update_auth_token="on_create",
        cache_subnet_group_name=None,
        security_group_ids=None,
        cache_parameter_group_name=None,
        port=6379,
        snapshot_retention_limit=None,
        tags=None,
        purge_tags=True,
        apply_immediately=True,
        wait=True,
        wait_timeout=1800,
    )
    return base | given


def plan_for(**given):
    p = params(**given)
    current = current_settings(GROUP, MEMBER, TAGS)
    desired = desired_settings(p)
    validate_against_current(desired, current)
    return current, plan_modify("petclinic-sessions", current, desired, p)


# Checks before any call --------------------------------------------------------------------------


@pytest.mark.parametrize("group_id", ["a", "petclinic-sessions", "Petclinic-Sessions", "r" * 40, "redis7-a1"])
def test_good_ids_pass_and_come_back_in_lower_case(group_id):
    assert validate_request(params(replication_group_id=group_id)) == group_id.lower()


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (dict(replication_group_id=""), "replication_group_id: '' must be 1 to 40"),
        (dict(replication_group_id="r" * 41), "replication_group_id: 'rrrr"),
        (dict(replication_group_id="7sessions"), "replication_group_id: '7sessions' must start with a letter"),
        (dict(replication_group_id="sessions-"), "replication_group_id: 'sessions-'"),
        (dict(replication_group_id="petclinic--sessions"), "replication_group_id: 'petclinic--sessions'"),
        (dict(replication_group_id="petclinic_sessions"), "replication_group_id: 'petclinic_sessions'"),
        (dict(wait_timeout=0), "wait_timeout: 0"),
        (dict(num_cache_clusters=0), "num_cache_clusters: 0 is out of range"),
        (dict(num_cache_clusters=7), "num_cache_clusters: 7 is out of range"),
        (dict(num_cache_clusters=1), "multi_az_enabled: needs at least 2"),
        (dict(num_cache_clusters=1, multi_az_enabled=False), "automatic_failover_enabled: needs at least 2"),
        (dict(automatic_failover_enabled=False), "multi_az_enabled: Multi-AZ needs automatic_failover_enabled"),
        (dict(port=0), "port: 0 is not a TCP port"),
        (dict(port=70000), "port: 70000"),
        (dict(snapshot_retention_limit=36), "snapshot_retention_limit: 36"),
        (dict(snapshot_retention_limit=-1), "snapshot_retention_limit: -1"),
        (dict(security_group_ids=["petclinic"]), "security_group_ids: 'petclinic'"),
        (dict(auth_token=TOKEN, transit_encryption_enabled=False), "auth_token: AUTH needs in-transit encryption"),
        (dict(auth_token="short-token"), "auth_token: must be 16 to 128 characters long (it has 11)"),
        (dict(auth_token="x" * 129), "auth_token: must be 16 to 128"),
        (dict(auth_token="with space 0123456789"), "auth_token: holds characters ElastiCache refuses (space)"),
        (dict(auth_token="user@example-0123456"), "auth_token: holds characters ElastiCache refuses ('@')"),
        (dict(auth_token='quote"0123456789abc'), "auth_token: holds characters"),
        (dict(auth_token="slash/0123456789abc"), "auth_token: holds characters"),
        (dict(auth_token="percent%0123456789a"), "auth_token: holds characters ElastiCache refuses ('%')"),
        (dict(update_auth_token="always"), "update_auth_token: 'always' rotates"),
        (dict(engine_version=" "), "engine_version: must not be empty"),
    ],
)
def test_bad_requests_name_the_option(given, field):
    with pytest.raises(RequestError) as raised:
        validate_request(params(**given))
    assert str(raised.value).startswith(field)


def test_token_errors_never_quote_the_token():
    for token in ("short-secret", "a-secret with space", "secret@secret@secret"):
        with pytest.raises(RequestError) as raised:
            validate_request(params(auth_token=token))
        assert token not in str(raised.value)


def test_good_requests_pass():
    validate_request(params(auth_token="Aa0!&#$^<>-" + "x" * 5, num_cache_clusters=6, port=6380))
    validate_request(params(num_cache_clusters=1, multi_az_enabled=False, automatic_failover_enabled=False))
    validate_request(params(security_group_ids=["sg-0123456789abcdef0", "sg-01234567"], snapshot_retention_limit=35))
    # Deleting needs the id only.
    validate_request(params(state="absent", num_cache_clusters=1, auth_token="x"))


def test_a_new_group_needs_a_node_type():
    with pytest.raises(RequestError, match=r"^cache_node_type: required"):
        validate_create(params(cache_node_type=None))


# Against the existing group --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (dict(engine="valkey"), "engine: the group has 'redis', the request asks for 'valkey'"),
        (dict(at_rest_encryption_enabled=False), "at_rest_encryption_enabled: the group has true"),
        (dict(transit_encryption_enabled=False), "transit_encryption_enabled: the group has true"),
        (dict(cache_subnet_group_name="other"), "cache_subnet_group_name: the group has 'petclinic-sessions'"),
        (dict(port=6380), "port: the group has 6379, the request asks for 6380"),
        (dict(engine_version="6.2"), "engine_version: the group runs 7.1.0; ElastiCache cannot downgrade"),
    ],
)
def test_settings_fixed_at_creation_are_errors_not_ignored(given, field):
    with pytest.raises(RequestError) as raised:
        plan_for(**given)
    assert str(raised.value).startswith(field)


def test_failover_is_checked_against_the_group_s_own_clusters():
    single = dict(GROUP, MemberClusters=["petclinic-sessions-001"], AutomaticFailover="disabled", MultiAZ="disabled")
    current = current_settings(single, MEMBER, {})
    with pytest.raises(RequestError, match=r"^multi_az_enabled: needs at least 2 cache clusters; the group has 1"):
        validate_against_current(desired_settings(params()), current)
    # Adding the replica in the same request is fine, and goes before the failover change.
    p = params(num_cache_clusters=2)
    desired = desired_settings(p)
    validate_against_current(desired, current)
    plan = plan_modify("petclinic-sessions", current, desired, p)
    assert plan.replicas == 2 and plan.replicas_first
    assert plan.modify == dict(
        ReplicationGroupId="petclinic-sessions",
        ApplyImmediately=True,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
    )


def test_cluster_mode_groups_are_refused():
    with pytest.raises(RequestError, match=r"^replication_group_id: the group runs in cluster mode"):
        validate_against_current(desired_settings(params()), current_settings(dict(GROUP, ClusterEnabled=True)))


# Differences ---------------------------------------------------------------------------------------------


def test_the_same_request_changes_nothing():
    _current, plan = plan_for(
        engine_version="7.1",
        num_cache_clusters=2,
        cache_subnet_group_name="petclinic-sessions",
        security_group_ids=["sg-0123456789abcdef0", "sg-0123456789abcdef0"],
        cache_parameter_group_name="default.redis7",
        snapshot_retention_limit=1,
        auth_token=TOKEN,
        tags={"team": "platform"},
    )
    assert not plan.changed
    assert plan.modify is None and plan.replicas is None and not plan.rotate_token


def test_unset_options_are_neither_compared_nor_sent():
    _current, plan = plan_for(cache_node_type=None)
    assert not plan.changed


def test_only_the_differences_are_sent():
    current, plan = plan_for(
        cache_node_type="cache.r7g.large",
        security_group_ids=["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
        snapshot_retention_limit=1,
        description="Petclinic HTTP sessions",
        apply_immediately=False,
    )
    assert plan.modify == dict(
        ReplicationGroupId="petclinic-sessions",
        ApplyImmediately=False,
        CacheNodeType="cache.r7g.large",
        SecurityGroupIds=["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
    )
    after = settings_after(current, plan)
    assert after["cache_node_type"] == "cache.r7g.large"
    assert after["snapshot_retention_limit"] == 1


def test_engine_versions_name_a_line():
    assert engine_version_matches("7.1.0", "7.1")
    assert engine_version_matches("7.1", "7.1")
    assert engine_version_matches("6.2.6", "6.x")
    assert engine_version_matches("7.1.0", "7")
    assert not engine_version_matches("7.10.0", "7.1")
    _current, plan = plan_for(engine_version="7.2")
    assert plan.modify["EngineVersion"] == "7.2"


def test_removing_replicas_comes_after_turning_failover_off():
    three = dict(GROUP, MemberClusters=["a-001", "a-002", "a-003"])
    p = params(num_cache_clusters=1, automatic_failover_enabled=False, multi_az_enabled=False)
    current = current_settings(three, MEMBER, TAGS)
    desired = desired_settings(p)
    validate_against_current(desired, current)
    plan = plan_modify("petclinic-sessions", current, desired, p)
    assert plan.replicas == 1 and not plan.replicas_first
    assert plan.modify["AutomaticFailoverEnabled"] is False
    assert replica_request("petclinic-sessions", 1) == dict(
        ReplicationGroupId="petclinic-sessions", NewReplicaCount=0, ApplyImmediately=True
    )


def test_a_pending_change_counts_as_made():
    member = dict(MEMBER, PendingModifiedValues={"CacheNodeType": "cache.r7g.large", "EngineVersion": "7.2.4"})
    current = current_settings(GROUP, member, TAGS)
    p = params(cache_node_type="cache.r7g.large", engine_version="7.2")
    assert not plan_modify("petclinic-sessions", current, desired_settings(p), p).changed


def test_unreadable_member_settings_are_not_compared():
    current = current_settings(GROUP, None, TAGS)
    p = params(engine_version="7.1", security_group_ids=["sg-0fedcba9876543210"], cache_subnet_group_name="x")
    desired = desired_settings(p)
    validate_against_current(desired, current)
    assert not plan_modify("petclinic-sessions", current, desired, p).changed


# The AUTH token ---------------------------------------------------------------------------------------------


def test_the_token_is_sent_once_unless_rotation_is_asked_for():
    _current, plan = plan_for(auth_token=TOKEN)
    assert not plan.changed
    _current, plan = plan_for(auth_token=TOKEN, update_auth_token="always", apply_immediately=False)
    assert plan.changed and plan.rotate_token
    assert plan.modify == dict(
        ReplicationGroupId="petclinic-sessions",
        ApplyImmediately=True,
        AuthToken=TOKEN,
        AuthTokenUpdateStrategy="ROTATE",
    )


def test_a_token_turns_auth_on_for_a_group_without_it():
    current = current_settings(dict(GROUP, AuthTokenEnabled=False), MEMBER, TAGS)
    p = params(auth_token=TOKEN)
    plan = plan_modify("petclinic-sessions", current, desired_settings(p), p)
    assert plan.rotate_token and plan.changes == {"auth_token_enabled": True}
    assert settings_after(current, plan)["auth_token_enabled"] is True


def test_the_token_is_in_no_setting_diff_or_view():
    p = params(auth_token=TOKEN)
    assert TOKEN not in repr(settings_for_create(p, "petclinic-sessions"))
    assert TOKEN not in repr(diff_view(settings_for_create(p, "petclinic-sessions")))
    assert TOKEN not in repr(group_view(GROUP, MEMBER, TAGS))
    assert TOKEN not in repr(desired_settings(p))


# Tags ---------------------------------------------------------------------------------------------------


def test_tags_are_set_and_purged():
    _current, plan = plan_for(tags={"team": "payments", "env": "prod"})
    assert plan.tags_to_set == {"team": "payments", "env": "prod"} and plan.tags_to_remove == []
    _current, plan = plan_for(tags={})
    assert plan.tags_to_remove == ["team"]
    _current, plan = plan_for(tags={}, purge_tags=False)
    assert not plan.changed


# Creation -----------------------------------------------------------------------------------------------


def test_create_request_with_defaults():
    request = create_request(params(), "petclinic-sessions")
    assert request == dict(
        ReplicationGroupId="petclinic-sessions",
        ReplicationGroupDescription="petclinic-sessions",
        Engine="redis",
        CacheNodeType="cache.t4g.small",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        TransitEncryptionEnabled=True,
        AtRestEncryptionEnabled=True,
        Port=6379,
    )


def test_create_request_with_everything():
    p = params(
        description="Sessions",
        engine="valkey",
        engine_version="8.0",
        num_cache_clusters=3,
        auth_token=TOKEN,
        cache_subnet_group_name="petclinic-sessions",
        security_group_ids=["sg-0fedcba9876543210", "sg-0123456789abcdef0"],
        cache_parameter_group_name="petclinic-valkey8",
        snapshot_retention_limit=0,
        tags={"team": "platform", "cost": 12},
    )
    request = create_request(p, "petclinic-sessions")
    assert request["AuthToken"] == TOKEN
    assert request["SnapshotRetentionLimit"] == 0
    assert request["SecurityGroupIds"] == ["sg-0123456789abcdef0", "sg-0fedcba9876543210"]
    assert request["Tags"] == [{"Key": "cost", "Value": "12"}, {"Key": "team", "Value": "platform"}]
    assert (request["Engine"], request["EngineVersion"], request["NumCacheClusters"]) == ("valkey", "8.0", 3)


# Diff and view ------------------------------------------------------------------------------------------


def test_diff_shows_the_managed_settings_and_whether_auth_is_on():
    desired = desired_settings(params(auth_token=None, tags={"team": "platform"}))
    shown = shown_settings(desired)
    assert "auth_token_enabled" in shown and "tags" in shown
    assert "security_group_ids" not in shown  # not managed by this request
    view = diff_view(current_settings(GROUP, MEMBER, TAGS), shown)
    assert view["cache_node_type"] == "cache.t4g.small" and view["auth_token_enabled"] is True


def test_group_view():
    view = group_view(GROUP, MEMBER, TAGS)
    assert view["id"] == "petclinic-sessions"
    assert view["primary_endpoint"] == {"address": "master.petclinic-sessions.x.cache.amazonaws.com", "port": 6379}
    assert view["reader_endpoint"]["address"].startswith("replica.")
    assert view["member_clusters"] == ["petclinic-sessions-001", "petclinic-sessions-002"]
    assert (view["multi_az"], view["automatic_failover"]) == ("enabled", "enabled")
    assert view["engine_version"] == "7.1.0" and view["security_group_ids"] == ["sg-0123456789abcdef0"]
    assert view["cache_parameter_group_name"] == "default.redis7" and view["tags"] == TAGS
    assert group_view(None) == {}
