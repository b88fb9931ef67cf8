"""cloudfront_drift: the fields a distribution lacks of the dr_failover role's arguments, and only those."""

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.filter.cloudfront_drift import cloudfront_drift

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
BEHAVIOR = {
    "target_origin_id": "azure-site",
    "viewer_protocol_policy": "redirect-to-https",
    "allowed_methods": {"items": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"]},
    "forwarded_values": {"query_string": False, "cookies": {"forward": "none"}},
    "default_ttl": 60,
    "max_ttl": 300,
}
ARGUMENTS = {
    "aliases": ["static.example.com"],
    "comment": "DR",
    "enabled": True,
    "ipv6_enabled": True,
    "http_version": "http2",
    "price_class": "PriceClass_100",
    "default_root_object": "index.html",
    "origins": [
        {
            "id": "azure-site",
            "domain_name": "site.z6.web.core.windows.net",
            "origin_path": "",
            "custom_origin_config": {
                "https_port": 443,
                "origin_protocol_policy": "https-only",
                "origin_ssl_protocols": {"items": ["TLSv1.2"]},
            },
        }
    ],
    "default_cache_behavior": BEHAVIOR,
    "cache_behaviors": [],
    "custom_error_responses": [
        {"error_code": 404, "response_code": 404, "response_page_path": "/404.html", "error_caching_min_ttl": 10}
    ],
    "viewer_certificate": {
        "acm_certificate_arn": ARN,
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": "TLSv1.2_2021",
    },
}
# The same distribution as CloudFront returns it, with fields the role never sets.
CONFIG = {
    "CallerReference": "static.example.com",
    "Aliases": {"Quantity": 1, "Items": ["static.example.com"]},
    "Comment": "DR",
    "Enabled": True,
    "IsIPV6Enabled": True,
    "HttpVersion": "http2",
    "PriceClass": "PriceClass_100",
    "DefaultRootObject": "index.html",
    "Origins": {
        "Quantity": 1,
        "Items": [
            {
                "Id": "azure-site",
                "DomainName": "site.z6.web.core.windows.net",
                "OriginPath": "",
                "ConnectionAttempts": 3,
                "OriginShield": {"Enabled": False},
                "CustomOriginConfig": {
                    "HTTPPort": 80,
                    "HTTPSPort": 443,
                    "OriginProtocolPolicy": "https-only",
                    "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                },
            }
        ],
    },
    "DefaultCacheBehavior": {
        "TargetOriginId": "azure-site",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]},
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        "DefaultTTL": 60,
        "MaxTTL": 300,
        "CachePolicyId": "",
        "RealtimeLogConfigArn": "",
    },
    "CacheBehaviors": {"Quantity": 0},
    "CustomErrorResponses": {
        "Quantity": 1,
        "Items": [{"ErrorCode": 404, "ResponseCode": "404", "ResponsePagePath": "/404.html", "ErrorCachingMinTTL": 10}],
    },
    "ViewerCertificate": {
        "ACMCertificateArn": ARN,
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    },
}


def test_the_distribution_as_cloudfront_returns_it_does_not_drift():
    assert cloudfront_drift(CONFIG, ARGUMENTS) == []


def test_no_distribution_differs_in_every_field():
    drift = cloudfront_drift({}, ARGUMENTS)
    assert {entry["field"] for entry in drift} >= {"aliases", "origins", "certificate_arn", "custom_error_responses"}
    assert all(entry["before"] is None for entry in drift)
    assert cloudfront_drift(None, ARGUMENTS) == drift


def test_an_origin_over_plain_http_is_drift_with_both_values():
    config = copy.deepcopy(CONFIG)
    config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginProtocolPolicy"] = "http-only"
    (entry,) = cloudfront_drift(config, ARGUMENTS)
    assert entry["field"] == "origins"
    assert entry["before"]["azure-site"]["protocol_policy"] == "http-only"
    assert entry["after"]["azure-site"]["protocol_policy"] == "https-only"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["Aliases"].update(Items=["old.example.com"]), "aliases"),
        (lambda c: c["ViewerCertificate"].update(ACMCertificateArn=""), "certificate_arn"),
        (lambda c: c["CustomErrorResponses"].update(Quantity=0, Items=[]), "custom_error_responses"),
        (lambda c: c["DefaultCacheBehavior"].update(TargetOriginId="azure-vm"), "default_cache_behavior"),
        (lambda c: c.update(DefaultRootObject=""), "default_root_object"),
        (lambda c: c.update(Enabled=False), "enabled"),
    ],
)
def test_each_set_field_is_compared(change, field):
    config = copy.deepcopy(CONFIG)
    change(config)
    assert [entry["field"] for entry in cloudfront_drift(config, ARGUMENTS)] == [field]


def test_a_cache_behaviour_is_found_by_its_path():
    arguments = {**ARGUMENTS, "cache_behaviors": [{**BEHAVIOR, "path_pattern": "/404.html"}]}
    assert [entry["field"] for entry in cloudfront_drift(CONFIG, arguments)] == ["cache_behaviors"]
    config = copy.deepcopy(CONFIG)
    config["CacheBehaviors"] = {
        "Quantity": 1,
        "Items": [{**CONFIG["DefaultCacheBehavior"], "PathPattern": "/404.html"}],
    }
    assert cloudfront_drift(config, arguments) == []


def test_wrong_inputs_are_named():
    with pytest.raises(AnsibleFilterError, match="wanted"):
        cloudfront_drift(CONFIG, "nope")
    with pytest.raises(AnsibleFilterError, match="DistributionConfig"):
        cloudfront_drift(["nope"], ARGUMENTS)
