"""acm_certificate_request against the sandbox's ACM (moto): requested once, found again on every rerun.

moto answers a request with PENDING_VALIDATION and a CNAME record a name, and issues the
certificate MOTO_ACM_VALIDATION_WAIT seconds later (the sandbox sets 3; moto's own default is 60,
which the wait test's timeout allows for).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import run_module, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.acm_certificate_request"
ALL_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


@pytest.fixture(scope="module")
def acm(sandbox):
    return boto3.client("acm")


@pytest.fixture
def domain():
    """A zone no other test requests certificates in."""
    return f"{uuid.uuid4().hex[:8]}.example.com"


def certificates_for(acm, domain: str) -> list[dict]:
    listed = acm.get_paginator("list_certificates").paginate(Includes={"keyTypes": ALL_KEY_TYPES})
    return [entry for entry in listed.build_full_result()["CertificateSummaryList"] if entry["DomainName"] == domain]


def tags_of(acm, arn: str) -> dict[str, str]:
    return {tag["Key"]: tag.get("Value", "") for tag in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}


def test_a_certificate_is_requested_once_and_found_again_on_rerun(acm, domain):
    args = {
        "domain_name": domain,
        "subject_alternative_names": [f"*.{domain}", f"api.{domain}"],
        "tags": {"team": "web"},
    }

    first = run_module(MODULE, args, diff=True)
    assert first["changed"] and not first.get("failed"), first
    arn = first["certificate_arn"]
    assert arn.startswith("arn:aws:acm:"), first
    assert first["status"] == "PENDING_VALIDATION"
    assert first["domain_name"] == domain
    assert first["subject_alternative_names"] == [domain, f"*.{domain}", f"api.{domain}"]
    records = first["validation_records"]
    assert records and {record["type"] for record in records} == {"CNAME"}, records
    # The wildcard and its apex share one record: two records for three names.
    assert sorted(record["domain_name"] for record in records) == sorted([domain, f"api.{domain}"])
    assert first["diff"]["before"] == {} and first["diff"]["after"]["certificate_arn"] == arn
    assert [entry["CertificateArn"] for entry in certificates_for(acm, domain)] == [arn]
    assert tags_of(acm, arn) == {"team": "web"}

    mark = sandbox_mark()
    again = run_module(MODULE, args)
    assert (again["changed"], again["certificate_arn"]) == (False, arn), again
    assert again["validation_records"] == records
    # The same names in another order, case and with trailing dots are the same certificate.
    spelled = {
        **args,
        "domain_name": f"{domain.upper()}.",
        "subject_alternative_names": [f"API.{domain}.", f"*.{domain}"],
    }
    respelled = run_module(MODULE, spelled)
    assert (respelled["changed"], respelled["certificate_arn"]) == (False, arn), respelled
    assert "aws" not in sandbox_writes(mark), "a rerun wrote"
    assert len(certificates_for(acm, domain)) == 1, "a second certificate was requested"


def test_a_certificate_found_again_is_given_a_missing_tag(acm, domain):
    first = run_module(MODULE, {"domain_name": domain})
    assert first["changed"], first
    arn = first["certificate_arn"]

    mark = sandbox_mark()
    tagged = run_module(MODULE, {"domain_name": domain, "tags": {"owner": "platform"}}, diff=True)
    assert (tagged["changed"], tagged["certificate_arn"]) == (True, arn), tagged
    assert tagged["diff"]["before"]["tags"] == {} and tagged["diff"]["after"]["tags"] == {"owner": "platform"}
    assert sandbox_writes(mark).get("aws") == {"AddTagsToCertificate": 1}
    assert tags_of(acm, arn) == {"owner": "platform"}
    assert len(certificates_for(acm, domain)) == 1


def test_check_mode_on_new_names_writes_nothing(acm, domain):
    mark = sandbox_mark()
    predicted = run_module(
        MODULE, {"domain_name": domain, "subject_alternative_names": [f"www.{domain}"]}, check=True, diff=True
    )
    assert predicted["changed"] and not predicted.get("failed"), predicted
    assert (predicted["certificate_arn"], predicted["status"]) == ("", "PENDING_VALIDATION")
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["names"] == [domain, f"www.{domain}"]
    assert "aws" not in sandbox_writes(mark), "check mode wrote"
    assert certificates_for(acm, domain) == []


def test_a_bad_name_fails_naming_its_option_before_any_call(acm, domain):
    mark = sandbox_mark()
    bad_san = run_module(
        MODULE, {"domain_name": domain, "subject_alternative_names": [f"www.{domain}", f"bad_name.{domain}"]}
    )
    assert bad_san.get("failed"), bad_san
    assert "subject_alternative_names[1]" in bad_san["msg"] and f"bad_name.{domain}" in bad_san["msg"], bad_san
    bad_domain = run_module(MODULE, {"domain_name": f"-{domain}"})
    assert bad_domain.get("failed") and "domain_name" in bad_domain["msg"], bad_domain
    assert "aws" not in sandbox_writes(mark)
    assert certificates_for(acm, domain) == []


def test_wait_returns_once_the_certificate_is_issued(acm, domain):
    args = {"domain_name": domain, "subject_alternative_names": [f"www.{domain}"], "wait": True, "wait_timeout": 90}
    issued = run_module(MODULE, args)
    assert not issued.get("failed"), issued
    assert (issued["changed"], issued["status"]) == (True, "ISSUED"), issued
    assert issued["validation_records"], issued

    again = run_module(MODULE, args)
    assert (again["changed"], again["certificate_arn"], again["status"]) == (False, issued["certificate_arn"], "ISSUED")


def test_a_wait_that_times_out_names_the_records_dns_needs(domain):
    timed_out = run_module(MODULE, {"domain_name": domain, "wait": True, "wait_timeout": 1})
    assert timed_out.get("failed") and timed_out["changed"], timed_out
    assert timed_out["status"] == "PENDING_VALIDATION", timed_out
    (record,) = timed_out["validation_records"]
    assert "still PENDING_VALIDATION after 1 seconds" in timed_out["msg"], timed_out
    assert f"{record['name']} CNAME {record['value']}" in timed_out["msg"], timed_out
