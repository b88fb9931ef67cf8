"""The redis_session role through playbooks/redis_session.yml and inventories/sandbox.

In the sandbox the in_cluster backend installs the redis-ha stand-in chart (kwok runs no
containers) and the role's check talks to the sandbox's real Redis and Sentinels.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import redis_state
from ansible_run import ROOT, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
PLAYBOOK = "playbooks/redis_session.yml"


def run_playbook(*options: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    command = ["ansible-playbook", PLAYBOOK, "-i", "inventories/sandbox/hosts.yml", *options]
    if extra:
        command += ["-e", json.dumps(extra)]
    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)


def recap(result: subprocess.CompletedProcess) -> dict[str, int]:
    line = re.search(r"^localhost\s*:\s*(.*)$", result.stdout, re.MULTILINE)
    assert line, result.stdout[-3000:] + result.stderr[-2000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line.group(1))}


def kube_writes(mark: str) -> int:
    """Writes after `mark` that are not dry runs, over every sandbox service."""
    counts = sandbox_writes(mark)
    return sum(n for service in counts.values() for verb, n in service.items() if "dry-run" not in verb)


@pytest.fixture(scope="module")
def core(sandbox):
    return client.CoreV1Api(config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig)))


@pytest.fixture(scope="module")
def converged(sandbox):
    """Check mode on the freshly reset sandbox, then the first converge."""
    mark = sandbox_mark()
    check = run_playbook("--check")
    check_writes = kube_writes(mark)
    first = run_playbook()
    return {"check": check, "check_writes": check_writes, "first": first}


def test_check_mode_on_a_fresh_cluster_predicts_changes_and_writes_nothing(converged):
    counts = recap(converged["check"])
    assert counts["failed"] == 0 and counts["changed"] > 0, converged["check"].stdout[-3000:]
    assert converged["check_writes"] == 0


def test_the_first_run_installs_the_release_and_wires_the_application(converged, core):
    counts = recap(converged["first"])
    assert counts["failed"] == 0 and counts["changed"] > 0, converged["first"].stdout[-4000:]
    assert "in_cluster store usable: master 127.0.0.1:" in converged["first"].stdout
    kept = core.read_namespaced_secret("petclinic-sessions-auth", "redis")
    app = core.read_namespaced_secret("petclinic-sessions-redis", "petclinic")
    assert app.data["REDIS_PASSWORD"] == kept.data["redis-password"]
    properties = core.read_namespaced_config_map("petclinic-sessions-spring", "petclinic").data["session.properties"]
    assert "spring.data.redis.sentinel.master=mymaster" in properties
    nodes = [f"petclinic-sessions-redis-ha-announce-{i}.redis.svc.cluster.local:26379" for i in range(3)]
    assert f"spring.data.redis.sentinel.nodes={','.join(nodes)}" in properties
    assert "spring.data.redis.password=${REDIS_PASSWORD}" in properties
    assert redis_state.password() not in properties
    statefulset = client.AppsV1Api(core.api_client).read_namespaced_stateful_set(
        "petclinic-sessions-redis-ha-server", "redis"
    )
    assert statefulset.spec.replicas == 3


def test_a_second_run_changes_and_writes_nothing(converged):
    mark = sandbox_mark()
    second = run_playbook()
    assert recap(second)["changed"] == 0, second.stdout[-4000:]
    assert kube_writes(mark) == 0


def test_spring_boot_2_gets_the_old_property_names(converged, core):
    result = run_playbook(extra={"redis_session_spring_boot_major": 2})
    assert recap(result)["failed"] == 0, result.stdout[-3000:]
    properties = core.read_namespaced_config_map("petclinic-sessions-spring", "petclinic").data["session.properties"]
    assert "spring.redis.sentinel.master=mymaster" in properties
    assert "spring.session.store-type=redis" in properties
    assert "spring.data.redis" not in properties
    assert recap(run_playbook())["failed"] == 0


def test_no_secret_in_verbose_output(converged):
    result = run_playbook("-vvv")
    assert recap(result)["failed"] == 0
    assert redis_state.password() not in result.stdout + result.stderr


def test_the_elasticache_backend_builds_a_multi_az_replication_group(converged, core):
    """The AWS twin (moto) keeps the group's shape but serves no Redis: the check is off here."""
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    token = "Sandbox-Token-0123456789-abcdef"  # noqa: S105 - the twin's, not a real one
    extra = {
        "redis_session_backend": "elasticache",
        "redis_session_password": token,
        "redis_session_elasticache_vpc_id": subnets[0]["VpcId"],
        "redis_session_elasticache_subnet_ids": [subnet["SubnetId"] for subnet in subnets[:2]],
        "redis_session_elasticache_allowed_cidrs": ["10.0.0.0/16"],
        "redis_session_check_enabled": False,
    }
    first = run_playbook(extra=extra)
    assert recap(first)["failed"] == 0, first.stdout[-4000:]
    assert token not in first.stdout
    group = boto3.client("elasticache").describe_replication_groups(ReplicationGroupId="petclinic-sessions")
    group = group["ReplicationGroups"][0]
    assert group["MultiAZ"] == "enabled" and group["AutomaticFailover"] == "enabled"
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"] and group["AuthTokenEnabled"]
    assert len(group["MemberClusters"]) == 2
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    properties = core.read_namespaced_config_map("petclinic-sessions-spring", "petclinic").data["session.properties"]
    assert f"spring.data.redis.host={endpoint['Address']}" in properties
    assert "spring.data.redis.ssl.enabled=true" in properties
    assert "sentinel" not in properties
    mark = sandbox_mark()
    second = run_playbook(extra=extra)
    assert recap(second)["changed"] == 0, second.stdout[-4000:]
    assert kube_writes(mark) == 0
