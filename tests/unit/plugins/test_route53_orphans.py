"""Which health check an interrupted create left without its Name, and when it is adopted."""

from __future__ import annotations

from ansible_collections.bespin.platform.plugins.module_utils.route53_orphans import plan_adoption, wanted_config

PARAMS = {
    "name": "primary",
    "type": "HTTPS",
    "fqdn": "app.example.com",
    "ip_address": None,
    "port": 443,
    "resource_path": "/health",
    "request_interval": 30,
}
CONFIG = {
    "Type": "HTTPS",
    "FullyQualifiedDomainName": "app.example.com",
    "Port": 443,
    "ResourcePath": "/health",
    "RequestInterval": 30,
    "FailureThreshold": 3,
}


def check(check_id, **changes):
    return {"Id": check_id, "HealthCheckConfig": {**CONFIG, **changes}}


def test_the_wanted_config_leaves_out_unset_options():
    assert wanted_config(PARAMS) == {key: CONFIG[key] for key in CONFIG if key != "FailureThreshold"}


def test_the_untagged_twin_is_adopted_when_no_check_has_the_name():
    checks = [check("other", Port=80), check("orphan")]
    plan = plan_adoption(checks, {"other": {}, "orphan": {}}, "primary", wanted_config(PARAMS))
    assert (plan.named, plan.adopt, plan.left) == ([], "orphan", [])


def test_nothing_is_adopted_while_a_check_has_the_name():
    checks = [check("named", FullyQualifiedDomainName="old.example.com"), check("orphan")]
    plan = plan_adoption(checks, {"named": {"Name": "primary"}, "orphan": {}}, "primary", wanted_config(PARAMS))
    assert (plan.named, plan.adopt, plan.left) == (["named"], None, ["orphan"])


def test_a_tagged_check_or_another_configuration_is_never_adopted():
    checks = [check("tagged"), check("path", ResourcePath="/"), check("ip", IPAddress="10.0.0.1")]
    tags = {"tagged": {"team": "web"}, "path": {}, "ip": {}}
    plan = plan_adoption(checks, tags, "primary", wanted_config(PARAMS))
    assert (plan.named, plan.adopt, plan.left) == ([], None, [])


def test_the_first_listed_orphan_is_adopted_and_the_others_reported():
    checks = [check("first"), check("second")]
    plan = plan_adoption(checks, {}, "primary", wanted_config(PARAMS))
    assert (plan.adopt, plan.left) == ("first", ["second"])
