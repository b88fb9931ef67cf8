"""route53_health_check_adopt against the sandbox's Route53: the check a stopped create left untagged.

The orphan is made the way it happens: amazon.aws.route53_health_check creates the check,
its tagging call fails (the sandbox fails every ChangeTagsForResource) and the run is killed
while it backs off, as a run stopped between the two calls leaves it. Adopted, the check is
found by its name, and the create that follows updates it: one check, not two.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import kill_run, run_module, sandbox_mark, sandbox_writes

from bespin_sandbox.faults import clear_faults, injected, set_faults

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.route53_health_check_adopt"
CONFIG = {"type": "HTTPS", "port": 443, "resource_path": "/actuator/health", "request_interval": 30}


@pytest.fixture(scope="module")
def route53(sandbox):
    return boto3.client("route53")


def checks_of(route53, fqdn: str) -> list[dict]:
    listed = route53.get_paginator("list_health_checks").paginate().build_full_result()["HealthChecks"]
    return [check for check in listed if check["HealthCheckConfig"].get("FullyQualifiedDomainName") == fqdn]


def tags_of(route53, check_id: str) -> dict[str, str]:
    (entry,) = route53.list_tags_for_resources(ResourceType="healthcheck", ResourceIds=[check_id])["ResourceTagSets"]
    return {tag["Key"]: tag["Value"] for tag in entry["Tags"]}


def create_by_name(name: str, fqdn: str, **extra) -> dict:
    args = {"state": "present", "health_check_name": name, "use_unique_names": True, "fqdn": fqdn, **CONFIG, **extra}
    return run_module("amazon.aws.route53_health_check", args)


def killed_between_create_and_tagging(plan: Path, args: dict) -> None:
    """Run amazon.aws.route53_health_check, SIGKILLed once its first tagging call has failed."""
    set_faults(plan, "aws", {"error500": 1.0}, only=r"^route53:ChangeTagsForResource$")
    before = injected(plan)["aws error500"]
    command = ["ansible", "localhost", "-m", "amazon.aws.route53_health_check", "-a", json.dumps(args)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while injected(plan)["aws error500"] == before and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert injected(plan)["aws error500"] > before, "the tagging call never came"
    finally:
        kill_run(process.pid)
        process.wait()
        clear_faults(plan)


@pytest.fixture
def orphan(sandbox, route53):
    """(name, fqdn, id) of a check whose create succeeded and whose tagging did not."""
    name, fqdn = f"adopt-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex[:8]}.primary.example.com"
    killed_between_create_and_tagging(
        sandbox.layout.faults_file,
        {"state": "present", "health_check_name": name, "use_unique_names": True, "fqdn": fqdn, **CONFIG},
    )
    (made,) = checks_of(route53, fqdn)
    assert tags_of(route53, made["Id"]) == {}
    return name, fqdn, made["Id"]


def test_the_orphan_is_named_once_and_the_create_then_updates_it(route53, orphan):
    name, fqdn, check_id = orphan
    args = {"name": name, "fqdn": fqdn, **CONFIG}

    mark = sandbox_mark()
    predicted = run_module(MODULE, args, check=True, diff=True)
    assert predicted["changed"] and predicted["adopted"] and predicted["health_check_id"] == check_id, predicted
    assert predicted["diff"]["after"]["tags"] == {"Name": name}
    assert "aws" not in sandbox_writes(mark), "check mode wrote"
    assert tags_of(route53, check_id) == {}

    adopted = run_module(MODULE, args)
    assert (adopted["changed"], adopted["health_check_id"], adopted["left"]) == (True, check_id, []), adopted
    assert tags_of(route53, check_id) == {"Name": name}

    mark = sandbox_mark()
    again = run_module(MODULE, args)
    assert (again["changed"], again["adopted"], again["named"]) == (False, False, [check_id]), again
    assert "aws" not in sandbox_writes(mark), "a rerun wrote"

    created = create_by_name(name, fqdn, tags={"Name": name, "team": "web"})
    assert not created.get("failed"), created
    assert created["health_check"]["id"] == check_id
    assert [check["Id"] for check in checks_of(route53, fqdn)] == [check_id], "a second check was created"
    assert tags_of(route53, check_id) == {"Name": name, "team": "web"}


def test_a_check_with_the_name_or_another_configuration_is_never_adopted(route53, orphan):
    name, fqdn, check_id = orphan
    other = run_module(MODULE, {"name": name, "fqdn": fqdn, **CONFIG, "resource_path": "/"})
    assert (other["changed"], other["health_check_id"]) == (False, ""), other

    named = create_by_name(name, f"other-{fqdn}")
    assert not named.get("failed"), named
    result = run_module(MODULE, {"name": name, "fqdn": fqdn, **CONFIG})
    assert (result["changed"], result["named"], result["left"]) == (False, [named["health_check"]["id"]], [check_id])
    assert check_id in " ".join(result.get("warnings", [])), result
    assert tags_of(route53, check_id) == {}


def test_bad_input_fails_before_any_call_naming_the_field(sandbox):
    mark = sandbox_mark()
    blank = run_module(MODULE, {"name": " ", "fqdn": "x.example.com", **CONFIG})
    assert blank.get("failed") and "name" in blank["msg"], blank
    interval = run_module(MODULE, {"name": "x", "fqdn": "x.example.com", **CONFIG, "request_interval": 20})
    assert interval.get("failed") and "request_interval" in interval["msg"], interval
    neither = run_module(MODULE, {"name": "x", **CONFIG})
    assert neither.get("failed") and "fqdn" in neither["msg"], neither
    assert "aws" not in sandbox_writes(mark)
