"""route53_dns_answer against the sandbox's Route53: what TestDNSAnswer says, once or until the expected answer.

The zone and its records are made with boto3 here; the module's answers are compared with
the records' values, and throttling injected into the sandbox is waited out by its retries.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import run_module, sandbox_mark, sandbox_writes

from bespin_sandbox.faults import clear_faults, injected, set_faults

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.route53_dns_answer"


@pytest.fixture(scope="module")
def zone(sandbox):
    route53 = boto3.client("route53")
    name = f"answer-{uuid.uuid4().hex[:8]}.example.com"
    zone_id = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    record = {"Name": f"app.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]}
    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
    )
    return zone_id, f"app.{name}"


def ask(zone, **options):
    zone_id, record = zone
    return run_module(MODULE, {"hosted_zone_id": zone_id, "record_name": record, "record_type": "A", **options})


def test_it_answers_once_and_writes_nothing(zone):
    mark = sandbox_mark()
    answer = ask(zone)
    assert (answer["changed"], answer["matched"], answer["asked"]) == (False, True, 1), answer
    assert (answer["response_code"], answer["record_data"]) == ("NOERROR", ["192.0.2.10"])
    assert sandbox_writes(mark).get("aws", {}) == {}


def test_it_waits_for_the_expected_data_or_says_it_did_not_come(zone):
    assert ask(zone, until_data=["192.0.2.10"])["matched"] is True
    assert ask(zone, until_not_data=["198.51.100.7"])["matched"] is True
    missed = ask(zone, until_data=["198.51.100.7"], timeout=3, delay=1)
    assert (missed["matched"], missed["record_data"]) == (False, ["192.0.2.10"]), missed
    assert missed["asked"] >= 2, "it asked only once within the timeout"


def test_throttling_is_retried(sandbox, zone):
    plan = sandbox.layout.faults_file
    before = injected(plan)["aws throttling"]
    set_faults(plan, "aws", {"throttling": 1.0}, only=r"^route53:TestDNSAnswer$", times=2)
    try:
        answer = ask(zone)
    finally:
        clear_faults(plan)
    assert injected(plan)["aws throttling"] - before == 2
    assert answer["record_data"] == ["192.0.2.10"], answer


@pytest.mark.parametrize(
    ("options", "field"),
    [({"timeout": -1}, "timeout"), ({"delay": 0}, "delay"), ({"hosted_zone_id": "/hostedzone/"}, "hosted_zone_id")],
)
def test_bad_input_names_the_field(zone, options, field):
    result = ask(zone, **options)
    assert result.get("failed") is True and result["msg"].startswith(field), result
