"""bespin.platform.elasticache_replication_group against the sandbox's AWS twin (moto's ElastiCache).

The state left behind is read with boto3, not with the module; `sandbox writes`
counts the writes each run made. Starting states are made with boto3 so each
test stands alone. The twin has no IncreaseReplicaCount/DecreaseReplicaCount and
its ModifyReplicationGroup ignores security groups, parameter group and engine
version, so the modification tested here is the node type (and tags); the replica
and AUTH-rotation requests are covered by the unit tests of elasticache_plan.
"""

# ruff: noqa: S105, S106

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import ROOT, run_module, run_module_many, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.elasticache_replication_group"
# Made up for the tests (S105/S106 do not apply); what matters is that they never show in any output.
TOKEN = "Sess10n-T0ken-never-shown-4242"
NEXT_TOKEN = "Sess10n-T0ken-rotated-4343"
SUBNET_GROUP = "sessions-subnets"


@pytest.fixture(scope="module")
def elasticache(sandbox):
    return boto3.client("elasticache", config=Config(retries={"mode": "standard", "max_attempts": 10}))


@pytest.fixture(scope="module")
def network(sandbox, elasticache):
    """A cache subnet group over the seeded VPC's subnets and two security groups in that VPC."""
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["bespin:sandbox"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName=SUBNET_GROUP, CacheSubnetGroupDescription="sessions", SubnetIds=subnets
    )
    groups = [
        ec2.create_security_group(GroupName=f"sessions-{n}", Description="sessions", VpcId=vpc)["GroupId"]
        for n in ("a", "b")
    ]
    return {"vpc": vpc, "subnet_group": SUBNET_GROUP, "security_groups": groups}


def describe(elasticache, group_id):
    try:
        return elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
    except elasticache.exceptions.ReplicationGroupNotFoundFault:
        return None


def member(elasticache, group):
    return elasticache.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]


def tags(elasticache, group):
    return {t["Key"]: t["Value"] for t in elasticache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]}


def aws_writes(mark):
    return sandbox_writes(mark).get("aws", {})


def options(network, group_id, **given):
    return {
        "replication_group_id": group_id,
        "description": "Petclinic sessions",
        "engine_version": "7.1",
        "cache_node_type": "cache.t4g.small",
        "num_cache_clusters": 2,
        "auth_token": TOKEN,
        "cache_subnet_group_name": network["subnet_group"],
        "security_group_ids": [network["security_groups"][0]],
        "snapshot_retention_limit": 1,
        "tags": {"team": "platform"},
        **given,
    }


def existing(elasticache, network, group_id, **overrides):
    """A group made directly with boto3, as the module would make it from options()."""
    request = dict(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription="Petclinic sessions",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.small",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        TransitEncryptionEnabled=True,
        AtRestEncryptionEnabled=True,
        AuthToken=TOKEN,
        CacheSubnetGroupName=network["subnet_group"],
        SecurityGroupIds=[network["security_groups"][0]],
        SnapshotRetentionLimit=1,
        Port=6379,
        Tags=[{"Key": "team", "Value": "platform"}],
    )
    request.update(overrides)
    return elasticache.create_replication_group(**request)["ReplicationGroup"]


def run_verbose(args, *flags):
    """One ad-hoc run with the default callback and -vvv: every line Ansible prints."""
    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_STDOUT_CALLBACK": "default"}
    command = ["ansible", "localhost", "-m", MODULE, "-a", json.dumps(args), "-vvv", *flags]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    return result.stdout + result.stderr


# Creation and idempotence ------------------------------------------------------------------------


def test_check_mode_predicts_the_creation_and_writes_nothing(elasticache, network):
    mark = sandbox_mark()
    result = run_module(MODULE, options(network, "sessions-check"), check=True, diff=True)
    assert result["changed"] is True, result
    assert result["replication_group"] == {}
    assert result["diff"]["before"] == {}
    after = result["diff"]["after"]
    assert after["num_cache_clusters"] == 2 and after["auth_token_enabled"] is True
    assert after["cache_node_type"] == "cache.t4g.small" and after["tags"] == {"team": "platform"}
    assert aws_writes(mark) == {}
    assert describe(elasticache, "sessions-check") is None


def test_create_then_a_rerun_changes_nothing(elasticache, network):
    mark = sandbox_mark()
    result = run_module(MODULE, options(network, "Sessions-A"))
    assert result["changed"] is True, result
    assert aws_writes(mark) == {"CreateReplicationGroup": 1}

    group = describe(elasticache, "sessions-a")
    assert group["Status"] == "available"
    assert group["MemberClusters"] == ["sessions-a-001", "sessions-a-002"]
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"] and group["AuthTokenEnabled"]
    assert group["CacheNodeType"] == "cache.t4g.small" and group["SnapshotRetentionLimit"] == 1
    assert group["Description"] == "Petclinic sessions"
    node = member(elasticache, group)
    assert node["CacheSubnetGroupName"] == SUBNET_GROUP and node["EngineVersion"] == "7.1"
    assert [sg["SecurityGroupId"] for sg in node["SecurityGroups"]] == [network["security_groups"][0]]
    assert tags(elasticache, group) == {"team": "platform"}

    view = result["replication_group"]
    assert view["id"] == "sessions-a" and view["status"] == "available"
    assert view["primary_endpoint"] == {
        "address": group["NodeGroups"][0]["PrimaryEndpoint"]["Address"],
        "port": 6379,
    }
    assert view["member_clusters"] == group["MemberClusters"]
    assert (view["multi_az"], view["automatic_failover"]) == ("enabled", "enabled")
    assert view["transit_encryption_enabled"] and view["at_rest_encryption_enabled"] and view["auth_token_enabled"]
    assert (view["cache_node_type"], view["engine_version"]) == ("cache.t4g.small", "7.1")

    mark = sandbox_mark()
    again = run_module(MODULE, options(network, "sessions-a"), diff=True)
    assert again["changed"] is False, again
    assert again["diff"]["before"] == again["diff"]["after"]
    assert aws_writes(mark) == {}


# Modification ------------------------------------------------------------------------------------


def test_node_type_and_tags_change_by_their_difference_only(elasticache, network):
    existing(elasticache, network, "sessions-b")
    changed = options(network, "sessions-b", cache_node_type="cache.r7g.large", tags={"team": "sessions"})

    mark = sandbox_mark()
    predicted = run_module(MODULE, changed, check=True, diff=True)
    assert predicted["changed"] is True, predicted
    assert predicted["diff"]["before"]["cache_node_type"] == "cache.t4g.small"
    assert predicted["diff"]["after"]["cache_node_type"] == "cache.r7g.large"
    assert predicted["diff"]["after"]["tags"] == {"team": "sessions"}
    assert aws_writes(mark) == {}
    assert describe(elasticache, "sessions-b")["CacheNodeType"] == "cache.t4g.small"

    mark = sandbox_mark()
    result = run_module(MODULE, changed, diff=True)
    assert result["changed"] is True, result
    assert result["diff"] == predicted["diff"]
    assert aws_writes(mark) == {"ModifyReplicationGroup": 1, "AddTagsToResource": 1}
    group = describe(elasticache, "sessions-b")
    assert group["CacheNodeType"] == "cache.r7g.large"
    assert tags(elasticache, group) == {"team": "sessions"}
    assert result["replication_group"]["cache_node_type"] == "cache.r7g.large"

    mark = sandbox_mark()
    assert run_module(MODULE, changed)["changed"] is False
    assert aws_writes(mark) == {}


def test_failover_can_be_turned_off(elasticache, network):
    existing(elasticache, network, "sessions-f")
    mark = sandbox_mark()
    result = run_module(
        MODULE, options(network, "sessions-f", multi_az_enabled=False, automatic_failover_enabled=False)
    )
    assert result["changed"] is True, result
    assert aws_writes(mark) == {"ModifyReplicationGroup": 1}
    group = describe(elasticache, "sessions-f")
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("disabled", "disabled")


# Bad requests --------------------------------------------------------------------------------------


def test_bad_requests_fail_before_any_write_naming_the_option(elasticache, network):
    existing(elasticache, network, "sessions-c")
    cases = [
        (options(network, "7sessions"), "replication_group_id:"),
        (options(network, "sessions--c"), "replication_group_id:"),
        (options(network, "s" * 41), "replication_group_id:"),
        (options(network, "sessions-new", num_cache_clusters=1), "multi_az_enabled:"),
        (options(network, "sessions-new", num_cache_clusters=1, multi_az_enabled=False), "automatic_failover_enabled"),
        (options(network, "sessions-new", num_cache_clusters=7), "num_cache_clusters:"),
        (options(network, "sessions-new", transit_encryption_enabled=False), "auth_token: AUTH needs in-transit"),
        (options(network, "sessions-new", auth_token="too-short"), "auth_token: must be 16 to 128"),
        (options(network, "sessions-new", auth_token="has spaces in it 1234"), "auth_token: holds characters"),
        (options(network, "sessions-new", auth_token="has@at/slash0123456"), "auth_token: holds characters"),
        (options(network, "sessions-new", port=0), "port:"),
        (options(network, "sessions-new", port=65536), "port:"),
        (options(network, "sessions-new", security_group_ids=["default"]), "security_group_ids:"),
        (options(network, "sessions-new", snapshot_retention_limit=40), "snapshot_retention_limit:"),
        (options(network, "sessions-new", cache_node_type=None), "cache_node_type: required"),
        # Settings fixed at creation, against the existing group.
        (options(network, "sessions-c", engine="valkey"), "engine: the group has 'redis'"),
        (options(network, "sessions-c", at_rest_encryption_enabled=False), "at_rest_encryption_enabled:"),
        (options(network, "sessions-c", cache_subnet_group_name="other-subnets"), "cache_subnet_group_name:"),
        (options(network, "sessions-c", port=6380), "port: the group has 6379"),
        (
            options(network, "sessions-c", transit_encryption_enabled=False, auth_token=None),
            "transit_encryption_enabled:",
        ),
        (options(network, "sessions-c", engine_version="6.2"), "engine_version: the group runs 7.1"),
    ]
    mark = sandbox_mark()
    results = run_module_many(MODULE, [args for args, _field in cases])
    for (args, field), result in zip(cases, results, strict=True):
        assert result.get("failed") is True, (args, result)
        assert result["msg"].startswith(field) or field in result["msg"], (args["replication_group_id"], result["msg"])
        assert TOKEN not in json.dumps(result)
    assert aws_writes(mark) == {}
    assert describe(elasticache, "sessions-new") is None
    assert describe(elasticache, "7sessions") is None


# The token -----------------------------------------------------------------------------------------


def test_the_token_never_shows_in_verbose_output(elasticache, network):
    args = options(network, "sessions-d")
    created = run_verbose(args, "--diff")
    assert "CHANGED" in created, created
    assert TOKEN not in created
    assert describe(elasticache, "sessions-d")["AuthTokenEnabled"] is True

    rotated = run_verbose({**args, "auth_token": NEXT_TOKEN, "update_auth_token": "always"}, "--diff")
    assert "CHANGED" in rotated and "auth_token_update" in rotated, rotated
    assert NEXT_TOKEN not in rotated and TOKEN not in rotated

    refused = run_verbose({**args, "port": 6380})
    assert "FAILED" in refused and "port: the group has 6379" in refused, refused
    assert TOKEN not in refused


# Deletion --------------------------------------------------------------------------------------------


def test_absent_deletes_the_group(elasticache, network):
    existing(elasticache, network, "sessions-e")
    mark = sandbox_mark()
    predicted = run_module(MODULE, {"replication_group_id": "sessions-e", "state": "absent"}, check=True, diff=True)
    assert predicted["changed"] is True, predicted
    assert predicted["diff"]["after"] == {} and predicted["diff"]["before"]["num_cache_clusters"] == 2
    assert aws_writes(mark) == {}
    assert describe(elasticache, "sessions-e") is not None

    mark = sandbox_mark()
    result = run_module(MODULE, {"replication_group_id": "sessions-e", "state": "absent"})
    assert result["changed"] is True, result
    assert result["replication_group"] == {}
    assert aws_writes(mark) == {"DeleteReplicationGroup": 1}
    assert describe(elasticache, "sessions-e") is None

    mark = sandbox_mark()
    again = run_module(MODULE, {"replication_group_id": "sessions-e", "state": "absent"})
    assert again["changed"] is False, again
    assert aws_writes(mark) == {}
