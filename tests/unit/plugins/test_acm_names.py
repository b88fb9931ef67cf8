"""The names an ACM certificate covers, which existing certificate a request finds, and its DNS records."""

from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.filter.acm_uncovered import acm_uncovered
from ansible_collections.bespin.platform.plugins.module_utils.acm_names import pick_existing, validation_records
from ansible_collections.bespin.platform.plugins.module_utils.host_names import (
    covers,
    normalise,
    uncovered,
    valid_domain,
)

RECORD_VALUE = "_c9edd76ee4a0e2a74388032f3861cc50.ykybfrwcxw.acm-validations.aws."


def certificate(arn, status="ISSUED", domain="app.example.com", sans=("app.example.com",), **extra):
    return {
        "CertificateArn": arn,
        "DomainName": domain,
        "SubjectAlternativeNames": list(sans),
        "Status": status,
        "Type": "AMAZON_ISSUED",
        **extra,
    }


def option(domain, record_name=None):
    entry = {"DomainName": domain, "ValidationMethod": "DNS", "ValidationStatus": "PENDING_VALIDATION"}
    if record_name is not None:
        entry["ResourceRecord"] = {"Name": record_name, "Type": "CNAME", "Value": RECORD_VALUE}
    return entry


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("App.Example.COM.", "app.example.com"),
        ("app.example.com", "app.example.com"),
        ("*.Example.com", "*.example.com"),
    ],
)
def test_names_are_compared_in_lower_case_without_a_trailing_dot(name, expected):
    assert normalise(name) == expected


def test_an_exact_name_is_covered_whatever_its_case_or_trailing_dot():
    assert covers(["App.Example.com"], "app.example.com.")
    assert not covers(["app.example.com"], "www.example.com")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.example.com", True),
        ("A.Example.Com.", True),
        ("example.com", False),
        ("a.b.example.com", False),
        ("a.example.org", False),
        (".example.com", False),
        ("*.example.com", True),  # the same wildcard, exactly
        ("*.a.example.com", False),  # a wildcard never covers another
    ],
)
def test_a_wildcard_covers_one_label_exactly(name, expected):
    assert covers(["*.example.com"], name) is expected


def test_uncovered_keeps_the_names_as_given_in_order():
    cert_names = ["example.com", "*.example.com"]
    names = ["b.a.example.com", "www.example.com", "Example.com.", "other.org"]
    assert uncovered(cert_names, names) == ["b.a.example.com", "other.org"]
    assert uncovered(cert_names, []) == []
    assert uncovered([], ["x.example.com"]) == ["x.example.com"]


@pytest.mark.parametrize(
    "name",
    [
        "example.com",
        "Example.COM.",
        "*.example.com",
        "a-b.example.com",
        "xn--bcher-kva.example",
        f"{'a' * 63}.example.com",
        ".".join(["a" * 63] * 3 + ["b" * 61]),  # 253 characters
    ],
)
def test_dns_names_are_valid(name):
    assert valid_domain(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "com",
        "*.com",
        "a..example.com",
        "-a.example.com",
        "a-.example.com",
        "a_b.example.com",
        "a.*.example.com",
        "**.example.com",
        "*example.com",
        "exa mple.com",
        f"{'a' * 64}.example.com",
        ".".join(["a" * 63] * 3 + ["b" * 62]),  # 254 characters
        None,
        42,
    ],
)
def test_other_names_are_not(name):
    assert not valid_domain(name)


def test_an_issued_certificate_is_picked_over_a_pending_one():
    pending = certificate("arn:pending", status="PENDING_VALIDATION")
    issued = certificate("arn:issued")
    assert pick_existing([pending, issued], "app.example.com", [])["CertificateArn"] == "arn:issued"
    assert pick_existing([pending], "App.Example.com.", [])["CertificateArn"] == "arn:pending"


@pytest.mark.parametrize("status", ["FAILED", "EXPIRED", "REVOKED", "VALIDATION_TIMED_OUT", "INACTIVE"])
def test_certificates_that_cannot_be_issued_any_more_are_ignored(status):
    assert pick_existing([certificate("arn:dead", status=status)], "app.example.com", []) is None
    usable = certificate("arn:pending", status="PENDING_VALIDATION")
    assert pick_existing([certificate("arn:dead", status=status), usable], "app.example.com", []) is usable


def test_only_a_certificate_with_exactly_the_names_matches():
    sans = ["www.app.example.com", "APP.example.com"]
    exact = certificate("arn:exact", sans=("app.example.com", "www.app.example.com"))
    more = certificate("arn:more", sans=("app.example.com", "www.app.example.com", "api.app.example.com"))
    fewer = certificate("arn:fewer")
    other_domain = certificate("arn:other", domain="www.app.example.com", sans=exact["SubjectAlternativeNames"])
    assert pick_existing([more, fewer, other_domain, exact], "app.example.com", sans) is exact
    assert pick_existing([more, fewer, other_domain], "app.example.com", sans) is None


def test_imported_and_email_validated_certificates_are_not_found():
    imported = certificate("arn:imported", Type="IMPORTED")
    emailed = certificate(
        "arn:email", DomainValidationOptions=[{"DomainName": "app.example.com", "ValidationMethod": "EMAIL"}]
    )
    assert pick_existing([imported, emailed], "app.example.com", []) is None


def test_of_two_issued_certificates_the_one_valid_longest_is_picked():
    soon = certificate("arn:soon", NotAfter=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC))
    later = certificate("arn:later", NotAfter=datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC))
    assert pick_existing([soon, later], "app.example.com", [])["CertificateArn"] == "arn:later"
    assert pick_existing([later, soon], "app.example.com", [])["CertificateArn"] == "arn:later"


@pytest.mark.parametrize("apex_first", [True, False])
def test_a_wildcard_and_its_apex_share_one_record_named_by_the_apex(apex_first):
    shared = "_d930b28be6c5927595552b219965053e.example.com."
    pair = [option("example.com", shared), option("*.example.com", shared)]
    other = option("www.other.example.com", "_x.www.other.example.com.")
    described = {"DomainValidationOptions": [other, *(pair if apex_first else pair[::-1])]}
    assert validation_records(described) == [
        {"domain_name": "example.com", "name": shared, "type": "CNAME", "value": RECORD_VALUE},
        {
            "domain_name": other["DomainName"],
            "name": "_x.www.other.example.com.",
            "type": "CNAME",
            "value": RECORD_VALUE,
        },
    ]


def test_a_lone_wildcard_names_its_record():
    described = {"DomainValidationOptions": [option("*.example.com", "_w.example.com.")]}
    assert [record["domain_name"] for record in validation_records(described)] == ["*.example.com"]


def test_records_are_none_until_every_name_has_one():
    half = [option("a.example.com", "_a.a.example.com."), option("b.example.com")]
    assert validation_records({"DomainValidationOptions": half}) is None
    assert validation_records({"DomainValidationOptions": []}) is None
    assert validation_records({}) is None


def test_the_filter_gives_the_uncovered_names_and_refuses_other_input():
    assert acm_uncovered(["*.example.com"], ["a.example.com", "example.com"]) == ["example.com"]
    with pytest.raises(AnsibleFilterError, match="list of names"):
        acm_uncovered("*.example.com", ["a.example.com"])
    with pytest.raises(AnsibleFilterError, match="string"):
        acm_uncovered(["*.example.com"], [None])
