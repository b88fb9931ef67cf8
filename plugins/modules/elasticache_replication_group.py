#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Why this module: community.aws has elasticache (single cache clusters), elasticache_subnet_group and
# elasticache_parameter_group, but nothing for replication groups, which is what Multi-AZ with automatic failover,
# in-transit encryption and an AUTH token need.

DOCUMENTATION = r"""
module: elasticache_replication_group
short_description: Create, update and delete an Amazon ElastiCache (Redis OSS or Valkey) replication group
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Makes one ElastiCache replication group with cluster mode disabled (one primary and up to five replicas) match
    the request, through CreateReplicationGroup, ModifyReplicationGroup, IncreaseReplicaCount, DecreaseReplicaCount,
    DeleteReplicationGroup and the ElastiCache tagging calls.
  - The whole request is checked before the first write, in check mode too, and an error names the option at fault.
    A change to a setting ElastiCache fixes at creation (engine, at-rest encryption, subnet group, port, in-transit
    encryption) is an error, not a silent ignore.
  - Options left out keep the group's current value; only the differences are sent, so a run that changes nothing
    makes no write.
  - Throttling and server errors (5xx) are retried with jittered exponential backoff.
options:
  replication_group_id:
    description:
      - Identifier of the replication group. 1 to 40 letters, digits and hyphens; it starts with a letter and has
        no two consecutive hyphens and no trailing hyphen.
      - ElastiCache stores identifiers in lower case, so the module compares and reports them in lower case.
    type: str
    required: true
    aliases: [name]
  description:
    description:
      - Description of the replication group. A new group without one is described by its identifier.
    type: str
  state:
    description:
      - V(present) creates or updates the group; V(absent) deletes it (with all its cache clusters).
    type: str
    choices: [present, absent]
    default: present
  engine:
    description:
      - The cache engine. Fixed once the group exists.
    type: str
    choices: [redis, valkey]
    default: redis
  engine_version:
    description:
      - Engine version, for example V(7.1). A version names its line, so V(7.1) matches a group that runs
        C(7.1.0); V(6.x) matches any 6 release.
      - A newer version upgrades the group; an older one is an error, since ElastiCache cannot downgrade.
      - When not set, a new group gets ElastiCache's default version and an existing one keeps its version.
    type: str
  cache_node_type:
    description:
      - Node type of every cache cluster of the group, for example V(cache.t4g.small). Required to create a group.
      - A different type scales the group (online, node by node).
    type: str
  num_cache_clusters:
    description:
      - How many cache clusters (nodes) the group has, primary included, from 1 to 6.
      - Changed with IncreaseReplicaCount or DecreaseReplicaCount, which ElastiCache always applies immediately.
      - When not set, a new group gets 2 and an existing one keeps its number.
    type: int
  automatic_failover_enabled:
    description:
      - Whether ElastiCache promotes a replica when the primary fails. Needs at least 2 cache clusters.
    type: bool
    default: true
  multi_az_enabled:
    description:
      - Whether the replicas are placed in other Availability Zones than the primary, for failover across zones.
        Needs O(automatic_failover_enabled) and at least 2 cache clusters.
    type: bool
    default: true
  transit_encryption_enabled:
    description:
      - TLS between clients and the nodes, and between the nodes. Required for an AUTH token.
      - Fixed once the group exists (ElastiCache changes it only through a TransitEncryptionMode migration, which
        this module does not run).
    type: bool
    default: true
  at_rest_encryption_enabled:
    description:
      - Encryption of the data on disk (backups, swap). Fixed once the group exists.
    type: bool
    default: true
  auth_token:
    description:
      - The AUTH token (password) clients must give. Needs O(transit_encryption_enabled=true).
      - 16 to 128 characters; letters, digits and only C(!), C(&), C(#), C($), C(^), C(<), C(>) and C(-)
        (so no C(@), C("), C(/) or spaces).
      - ElastiCache never returns the token, so it cannot be compared; see O(update_auth_token).
      - When not set, the group's AUTH setting is left as it is.
    type: str
  update_auth_token:
    description:
      - V(on_create) sends O(auth_token) only when the group is created, or when AUTH is off on an existing group
        (which turns it on); a run otherwise leaves the token alone and reports no change for it.
      - V(always) sends O(auth_token) on every run with the C(ROTATE) strategy, so every run reports a change.
        ElastiCache then accepts both the new and the previous token until the next rotation.
      - A token is always applied immediately, whatever O(apply_immediately) says.
    type: str
    choices: [on_create, always]
    default: on_create
  cache_subnet_group_name:
    description:
      - The cache subnet group (the VPC subnets) of the group. Fixed once the group exists.
      - When not set, a new group uses the default subnet group of the default VPC.
    type: str
  security_group_ids:
    description:
      - The VPC security groups of the group's nodes, compared as a set.
      - When not set, an existing group keeps its security groups.
    type: list
    elements: str
  cache_parameter_group_name:
    description:
      - The cache parameter group (engine settings such as C(maxmemory-policy)).
      - When not set, a new group gets the engine's default group and an existing one keeps its group.
    type: str
  port:
    description:
      - The TCP port the nodes listen on. Fixed once the group exists.
    type: int
    default: 6379
  snapshot_retention_limit:
    description:
      - Days automatic backups are kept, 0 (no automatic backups) to 35.
      - When not set, a new group keeps none and an existing one keeps its setting.
    type: int
  apply_immediately:
    description:
      - Apply a modification now, not in the next maintenance window. A change waiting for the maintenance window
        counts as made on later runs.
    type: bool
    default: true
  wait:
    description:
      - Wait until the group is C(available) again after a change (or gone, with O(state=absent)).
      - Without waiting, a change that takes two steps (replicas and a modification) still waits between them,
        since ElastiCache refuses a modification while the group is C(modifying).
      - A change to a group that is busy (C(creating), C(modifying), C(snapshotting)) always waits for it first.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait. Creating a group with replicas usually takes 10 to 20 minutes.
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Every check runs (only read calls are made); the result says what would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: >-
      Each setting the request manages, before and after. Of the AUTH token, only whether AUTH is enabled is shown,
      and C(auth_token_update) when the token is sent.
notes:
  - Replication groups with cluster mode enabled (sharded) are refused.
  - The engine version, subnet group, security groups and parameter group are read from a member cache cluster
    (DescribeCacheClusters); if it cannot be read, those settings are not compared and a warning says so.
  - botocore's own retries are turned off on the client this module uses, so that its jittered backoff is the one
    retry policy; setting O(aws_config) with C(retries) turns them back on.
seealso:
  - module: community.aws.elasticache_subnet_group
  - module: community.aws.elasticache_parameter_group
  - name: Amazon ElastiCache replication groups
    description: The ElastiCache user guide on replication.
    link: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.html
"""

EXAMPLES = r"""
- name: Session store with a replica in another zone, TLS and an AUTH token
  bespin.platform.elasticache_replication_group:
    replication_group_id: petclinic-sessions
    description: Petclinic HTTP sessions
    engine: redis
    engine_version: "7.1"
    cache_node_type: cache.t4g.small
    num_cache_clusters: 2
    auth_token: "{{ vault_sessions_token }}"
    cache_subnet_group_name: petclinic-sessions
    security_group_ids: [sg-0123456789abcdef0]
    cache_parameter_group_name: petclinic-sessions-redis7
    snapshot_retention_limit: 1
    tags:
      team: platform
  register: sessions

- name: Rotate the AUTH token (the previous one stays valid until the next rotation)
  bespin.platform.elasticache_replication_group:
    replication_group_id: petclinic-sessions
    cache_node_type: cache.t4g.small
    auth_token: "{{ vault_sessions_token_next }}"
    update_auth_token: always

- name: Start scaling up to a larger node type without waiting for it
  bespin.platform.elasticache_replication_group:
    replication_group_id: petclinic-sessions
    cache_node_type: cache.r7g.large
    wait: false

- name: Delete the group
  bespin.platform.elasticache_replication_group:
    replication_group_id: petclinic-sessions
    state: absent
"""

RETURN = r"""
replication_group:
  description:
    - The group as ElastiCache describes it after the run (in check mode, before it).
    - Empty when the group does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Identifier of the group (lower case).
      type: str
      sample: petclinic-sessions
    arn:
      description: ARN of the group.
      type: str
      sample: arn:aws:elasticache:ap-northeast-2:123456789012:replicationgroup:petclinic-sessions
    description:
      description: Description of the group.
      type: str
      sample: Petclinic HTTP sessions
    status:
      description: C(creating), C(available), C(modifying), C(snapshotting), C(deleting) or C(create-failed).
      type: str
      sample: available
    engine:
      description: The engine, C(redis) or C(valkey).
      type: str
      sample: redis
    engine_version:
      description: The engine version of the member cache clusters (null when they could not be read).
      type: str
      sample: 7.1.0
    cache_node_type:
      description: Node type of the cache clusters.
      type: str
      sample: cache.t4g.small
    primary_endpoint:
      description: Where clients write (C(address), C(port)); follows the primary through a failover.
      type: dict
      sample: {"address": "master.petclinic-sessions.abc123.apn2.cache.amazonaws.com", "port": 6379}
    reader_endpoint:
      description: Where clients read, spread over the replicas (C(address), C(port)).
      type: dict
      sample: {"address": "replica.petclinic-sessions.abc123.apn2.cache.amazonaws.com", "port": 6379}
    member_clusters:
      description: Identifiers of the group's cache clusters.
      type: list
      elements: str
      sample: ["petclinic-sessions-001", "petclinic-sessions-002"]
    num_cache_clusters:
      description: How many cache clusters the group has.
      type: int
      sample: 2
    multi_az:
      description: C(enabled) or C(disabled), as ElastiCache reports it.
      type: str
      sample: enabled
    automatic_failover:
      description: C(enabled), C(disabled), C(enabling) or C(disabling), as ElastiCache reports it.
      type: str
      sample: enabled
    transit_encryption_enabled:
      description: Whether TLS is on.
      type: bool
      sample: true
    at_rest_encryption_enabled:
      description: Whether data on disk is encrypted.
      type: bool
      sample: true
    auth_token_enabled:
      description: Whether clients must give an AUTH token (the token itself is never returned).
      type: bool
      sample: true
    cache_subnet_group_name:
      description: The cache subnet group (null when the member clusters could not be read).
      type: str
      sample: petclinic-sessions
    security_group_ids:
      description: The VPC security groups, sorted (null when the member clusters could not be read).
      type: list
      elements: str
      sample: ["sg-0123456789abcdef0"]
    cache_parameter_group_name:
      description: The cache parameter group (null when the member clusters could not be read).
      type: str
      sample: default.redis7
    port:
      description: The port the nodes listen on.
      type: int
      sample: 6379
    snapshot_retention_limit:
      description: Days automatic backups are kept.
      type: int
      sample: 1
    tags:
      description: Tags of the group.
      type: dict
      sample: {"team": "platform"}
"""

import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing SDK
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.bespin.platform.plugins.module_utils.aws_retry import CLIENT_CONFIG, jittered_retry
from ansible_collections.bespin.platform.plugins.module_utils.elasticache_plan import (
    BUSY_STATES,
    FAILED_STATES,
    RequestError,
    create_request,
    current_settings,
    desired_settings,
    diff_view,
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

# AWSRetry already retries the query protocol's throttling (Throttling) and 5xx codes (InternalError,
# ServiceUnavailable): no ElastiCache codes to add.
RETRY = jittered_retry()
GROUP_NOT_FOUND = ("ReplicationGroupNotFoundFault",)
CLUSTER_NOT_FOUND = ("CacheClusterNotFound",)
# Polls while a group settles: 5 s growing to 30 s; creation takes minutes, DescribeReplicationGroups is cheap.
POLL_FIRST_DELAY = 5.0
POLL_MAX_DELAY = 30.0
# Settings read from a member cache cluster: not compared when it cannot be read.
MEMBER_SETTINGS = ("engine_version", "cache_subnet_group_name", "security_group_ids", "cache_parameter_group_name")


def argument_spec():
    return dict(
        replication_group_id=dict(type="str", required=True, aliases=["name"]),
        description=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        engine=dict(type="str", choices=["redis", "valkey"], default="redis"),
        engine_version=dict(type="str"),
        cache_node_type=dict(type="str"),
        num_cache_clusters=dict(type="int"),
        automatic_failover_enabled=dict(type="bool", default=True),
        multi_az_enabled=dict(type="bool", default=True),
        transit_encryption_enabled=dict(type="bool", default=True),
        at_rest_encryption_enabled=dict(type="bool", default=True),
        auth_token=dict(type="str", no_log=True),
        update_auth_token=dict(type="str", choices=["on_create", "always"], default="on_create", no_log=False),
        cache_subnet_group_name=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        cache_parameter_group_name=dict(type="str"),
        port=dict(type="int", default=6379),
        snapshot_retention_limit=dict(type="int"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        apply_immediately=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )


class WaitTimeout(Exception):
    def __init__(self, group):
        super().__init__(f"replication group still {group.get('Status')}")
        self.group = group


class ElastiCacheApi:
    """The ElastiCache calls the module makes, each retried with jittered backoff."""

    def __init__(self, client, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.sleep = sleep
        self.clock = clock

    def describe_group(self, group_id):
        try:
            result = self.client.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True)
        except is_boto3_error_code(GROUP_NOT_FOUND):
            return None
        groups = result.get("ReplicationGroups") or []
        return groups[0] if groups else None

    def describe_member(self, group):
        """DescribeCacheClusters of the primary (or the first member); None when it cannot be found."""
        members = list(group.get("MemberClusters") or [])
        for node_group in group.get("NodeGroups") or []:
            for member in node_group.get("NodeGroupMembers") or []:
                if member.get("CurrentRole") == "primary" and member.get("CacheClusterId") in members:
                    members.insert(0, member["CacheClusterId"])
        for cluster_id in dict.fromkeys(members):
            try:
                clusters = self.client.describe_cache_clusters(CacheClusterId=cluster_id, aws_retry=True)
            except is_boto3_error_code(CLUSTER_NOT_FOUND):
                continue
            if clusters.get("CacheClusters"):
                return clusters["CacheClusters"][0]
        return None

    def tags(self, arn):
        if not arn:
            return {}
        result = self.client.list_tags_for_resource(ResourceName=arn, aws_retry=True)
        return boto3_tag_list_to_ansible_dict(result.get("TagList") or [])

    def create(self, request):
        return self.client.create_replication_group(aws_retry=True, **request)["ReplicationGroup"]

    def modify(self, request):
        return self.client.modify_replication_group(aws_retry=True, **request)["ReplicationGroup"]

    def set_replicas(self, group_id, clusters, increase):
        call = self.client.increase_replica_count if increase else self.client.decrease_replica_count
        return call(aws_retry=True, **replica_request(group_id, clusters))["ReplicationGroup"]

    def delete(self, group_id):
        return self.client.delete_replication_group(
            ReplicationGroupId=group_id, RetainPrimaryCluster=False, aws_retry=True
        )["ReplicationGroup"]

    def tag(self, arn, tags):
        tag_list = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
        self.client.add_tags_to_resource(ResourceName=arn, Tags=tag_list, aws_retry=True)

    def untag(self, arn, keys):
        self.client.remove_tags_from_resource(ResourceName=arn, TagKeys=keys, aws_retry=True)

    def wait(self, group_id, timeout, until_gone=False):
        """Poll until the group is no longer busy (with until_gone, until it is deleted). Returns the last
        description, None once gone; raises WaitTimeout."""
        deadline = self.clock() + timeout
        delays = iter(BackoffIterator(delay=POLL_FIRST_DELAY, backoff=1.5, max_delay=POLL_MAX_DELAY, jitter=True))
        while True:
            group = self.describe_group(group_id)
            if group is None:
                return None
            if not until_gone and group.get("Status") not in BUSY_STATES:
                return group
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeout(group)
            self.sleep(min(max(1.0, next(delays)), remaining))


class GroupRequest:
    def __init__(self, module, api):
        self.module = module
        self.api = api
        self.params = module.params
        self.group_id = None

    def fail(self, message, **extra):
        self.module.fail_json(msg=message, **{key: value for key, value in extra.items() if value is not None})

    def wait(self, until_gone=False, changed=True, **result):
        try:
            return self.api.wait(self.group_id, self.params["wait_timeout"], until_gone=until_gone)
        except WaitTimeout as timeout:
            self.fail(
                f"replication group {self.group_id} is still {timeout.group.get('Status')} after "
                f"{self.params['wait_timeout']} seconds",
                changed=changed,
                replication_group=group_view(timeout.group),
                **result,
            )

    def settle(self, changed, **result):
        """Wait for the group, fail on a failed creation; returns the last description."""
        group = self.wait(changed=changed, **result)
        if group is not None and group.get("Status") in FAILED_STATES:
            self.fail(
                f"replication group {self.group_id} is {group['Status']}",
                changed=changed,
                replication_group=group_view(group),
                **result,
            )
        return group

    def diff(self, before, after):
        return dict(before=before, after=after) if self.module._diff else None

    def finish(self, changed, group, before, after, member=None, tags=None):
        if group is not None and member is None:
            member = self.api.describe_member(group)
        if group is not None and tags is None:
            tags = self.api.tags(group.get("ARN"))
        result = dict(changed=changed, replication_group=group_view(group, member, tags))
        if self.module._diff:
            result["diff"] = dict(before=before, after=after)
        self.module.exit_json(**result)

    # States --------------------------------------------------------------------------------------

    def absent(self, current):
        if current is None or current.get("Status") == "deleting":
            group = current
            if current is not None and self.params["wait"] and not self.module.check_mode:
                group = self.wait(until_gone=True, changed=False)
            return self.finish(False, group, {}, {}, member={}, tags={})
        member = self.api.describe_member(current)
        tags = self.api.tags(current.get("ARN"))
        before = diff_view(current_settings(current, member, tags))
        if self.module.check_mode:
            return self.finish(True, current, before, {}, member, tags)
        if current.get("Status") in BUSY_STATES:
            self.wait(changed=False)  # ElastiCache refuses to delete a group that is being created or modified
        group = self.api.delete(self.group_id)
        if self.params["wait"]:
            group = self.wait(until_gone=True, diff=self.diff(before, {}))
        return self.finish(True, group, before, {}, member={}, tags={})

    def present(self, current):
        if current is not None and current.get("Status") == "deleting":
            if not self.module.check_mode:
                self.wait(until_gone=True, changed=False)
            current = None  # it will be created again
        if current is None:
            return self.create()
        return self.update(current)

    def create(self):
        validate_create(self.params)
        # Settings ElastiCache picks itself (default version, parameter group...) are not predicted.
        after = {k: v for k, v in diff_view(settings_for_create(self.params, self.group_id)).items() if v is not None}
        if self.module.check_mode:
            return self.finish(True, None, {}, after)
        group = self.api.create(create_request(self.params, self.group_id))
        if self.params["wait"]:
            group = self.settle(True, diff=self.diff({}, after))
        return self.finish(True, group, {}, after)

    def update(self, current):
        params = self.params
        member = self.api.describe_member(current)
        tags = self.api.tags(current.get("ARN"))
        before = current_settings(current, member, tags)
        desired = desired_settings(params)
        validate_against_current(desired, before)
        if member is None:
            unknown = [key for key in MEMBER_SETTINGS if desired.get(key) is not None]
            if unknown:
                self.module.warn(
                    f"could not read a member cache cluster of {self.group_id}; not compared: {', '.join(unknown)}"
                )
        plan = plan_modify(self.group_id, before, desired, params)
        shown = shown_settings(desired)
        diff_before, diff_after = diff_view(before, shown), diff_view(settings_after(before, plan), shown)
        if plan.rotate_token:
            diff_after["auth_token_update"] = "ROTATE"  # noqa: S105 - the strategy, not the token
        if self.module.check_mode or not plan.changed:
            return self.finish(plan.changed, current, diff_before, diff_after, member, tags)

        diff = self.diff(diff_before, diff_after)
        if (plan.modify or plan.replicas is not None) and current.get("Status") in BUSY_STATES:
            self.settle(False, diff=diff)  # ElastiCache refuses changes while the group is busy
        # Replicas are added before a modification (failover needs them) and removed after it (once failover is off).
        steps = ["replicas"] if plan.replicas is not None else []
        if plan.modify:
            steps.insert(len(steps) if plan.replicas_first else 0, "modify")
        for index, step in enumerate(steps):
            if index:
                self.settle(True, diff=diff)  # the second step waits for the first to finish
            if step == "modify":
                self.api.modify(plan.modify)
            else:
                self.api.set_replicas(self.group_id, plan.replicas, plan.replicas > before["num_cache_clusters"])
        if plan.tags_to_remove:
            self.api.untag(current["ARN"], plan.tags_to_remove)
        if plan.tags_to_set:
            self.api.tag(current["ARN"], plan.tags_to_set)
        group = self.settle(True, diff=diff) if params["wait"] and steps else self.api.describe_group(self.group_id)
        return self.finish(True, group, diff_before, diff_after)

    def run(self):
        self.group_id = validate_request(self.params)
        current = self.api.describe_group(self.group_id)
        if self.params["state"] == "absent":
            self.absent(current)
        else:
            self.present(current)


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    client = module.client("elasticache", retry_decorator=RETRY, config=CLIENT_CONFIG)
    request = GroupRequest(module, ElastiCacheApi(client))
    try:
        request.run()
    except RequestError as exc:
        module.fail_json(msg=str(exc))
    except (ClientError, BotoCoreError) as exc:
        module.fail_json_aws(
            exc, msg=f"ElastiCache refused or failed a call for replication group {request.group_id or '?'}"
        )


if __name__ == "__main__":
    main()
