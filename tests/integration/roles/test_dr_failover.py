"""The dr_failover role and playbooks/dr_drill.yml against the sandbox's AWS twin and Azure stand-in.

What the role leaves behind is read with boto3, `sandbox writes` counts what
each run wrote, and Route53's answer is asked with TestDNSAnswer (the sandbox
implements it over moto's records, choosing among failover records by the
health-check status set through its /bespin-api).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import ROOT, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
ZONE = "petclinic.example.com"
AZURE_PLAYBOOKS = Path(ROOT) / "tests" / "integration" / "sandbox" / "azure"
STANDBY = {
    "azure_standby_fqdn": "web-vm.westeurope.cloudapp.azure.com",
    "azure_standby_public_ip": "20.61.0.4",
    "azure_standby_site_endpoint": "https://bespinsite.z6.web.core.windows.net/",
}
# Every case sets these, so the inventory's own DR settings never leak into a case.
BASE = {
    "dr_failover_zone": ZONE,
    "dr_failover_record_name": f"www.{ZONE}",
    "dr_failover_record_type": "A",
    "dr_failover_primary_alb_dns_name": "k8s-test-0123456789.ap-northeast-2.elb.amazonaws.com",
    "dr_failover_primary_alb_zone_id": "ZWKZPGTI48KDX",
    "dr_failover_primary_target": "",
    "dr_failover_secondary_kind": "vm",
    "dr_failover_dr_record_name": f"dr.{ZONE}",
    "dr_failover_standby_fqdn": STANDBY["azure_standby_fqdn"],
    "dr_failover_standby_ip": STANDBY["azure_standby_public_ip"],
    "dr_failover_standby_site_endpoint": STANDBY["azure_standby_site_endpoint"],
}


@pytest.fixture(scope="module")
def route53(sandbox):
    # Patient retries: one test injects throttling into the sandbox.
    return boto3.client("route53", config=Config(retries={"mode": "standard", "max_attempts": 10}))


@pytest.fixture(scope="module")
def zone_id(route53):
    zones = route53.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"]
    return next(z["Id"].rsplit("/", 1)[1] for z in zones if z["Name"] == ZONE + ".")


def playbook(*options: str, path: str | None = None, play: list | None = None) -> tuple[int, str, dict]:
    """Run a playbook (a file, or a play given as data); its return code, output and PLAY RECAP counts."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="dr-") as handle:
        if play is not None:
            json.dump(play, handle)  # JSON is YAML
            handle.flush()
            path = handle.name
        result = subprocess.run(
            ["ansible-playbook", path, *options], capture_output=True, text=True, check=False, cwd=ROOT
        )
    recap = re.search(r"^localhost\s*:\s*(.*)$", result.stdout, re.MULTILINE)
    counts = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", recap.group(1))} if recap else {}
    return result.returncode, result.stdout + result.stderr, counts


def extra_vars(values: dict) -> list[str]:
    return ["-e", json.dumps(values)]


def converge(*options: str, **overrides) -> tuple[int, str, dict]:
    return playbook(*extra_vars({**STANDBY, **BASE, **overrides}), *options, path="playbooks/dr_failover.yml")


def aws_writes(mark: str) -> dict:
    return sandbox_writes(mark).get("aws", {})


def records(route53, zone_id: str, name: str) -> list[dict]:
    found = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return [r for r in found if r["Name"] == name + "."]


def health_checks(route53) -> dict[str, dict]:
    """Health checks by their Name tag."""
    checks = {}
    for check in route53.list_health_checks()["HealthChecks"]:
        tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])["ResourceTagSet"]
        checks[{t["Key"]: t["Value"] for t in tags["Tags"]}.get("Name", check["Id"])] = check
    return checks


def set_status(check_id: str, status: str) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the sandbox's loopback endpoint
        f"{os.environ['AWS_ENDPOINT_URL']}/bespin-api/route53/health-checks/{check_id}/status",
        data=json.dumps({"status": status}).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def answer(route53, zone_id: str, name: str = f"www.{ZONE}", record_type: str = "A") -> list[str]:
    return route53.test_dns_answer(HostedZoneId=zone_id, RecordName=name, RecordType=record_type)["RecordData"]


# Check mode, creation, idempotence --------------------------------------------------------------


def test_check_mode_writes_nothing(route53, zone_id):
    mark = sandbox_mark()
    code, output, recap = converge("--check", "--diff")
    assert code == 0, output[-3000:]
    assert recap["changed"] == 4  # health check, PRIMARY, SECONDARY, DR host
    assert aws_writes(mark) == {}
    assert records(route53, zone_id, f"www.{ZONE}") == []


def test_converge_creates_the_failover_pair_and_a_rerun_changes_nothing(route53, zone_id):
    mark = sandbox_mark()
    code, output, recap = converge()
    assert code == 0, output[-3000:]
    assert recap["changed"] == 4
    assert aws_writes(mark) == {"CreateHealthCheck": 1, "ChangeTagsForResource": 1, "ChangeResourceRecordSets": 3}

    check = health_checks(route53)[f"www.{ZONE}-primary"]
    config = check["HealthCheckConfig"]
    assert (config["Type"], config["Port"], config["ResourcePath"]) == ("HTTPS", 443, "/health")
    assert (config["FailureThreshold"], config["RequestInterval"], config["Disabled"]) == (3, 10, False)
    assert config["FullyQualifiedDomainName"] == BASE["dr_failover_primary_alb_dns_name"]
    pair = {r["Failover"]: r for r in records(route53, zone_id, f"www.{ZONE}")}
    assert pair["PRIMARY"]["AliasTarget"]["DNSName"].rstrip(".") == BASE["dr_failover_primary_alb_dns_name"]
    assert pair["PRIMARY"]["HealthCheckId"] == check["Id"]
    assert pair["SECONDARY"]["ResourceRecords"] == [{"Value": "20.61.0.4"}]
    assert pair["SECONDARY"]["TTL"] == 60
    assert records(route53, zone_id, f"dr.{ZONE}")[0]["ResourceRecords"] == [{"Value": "20.61.0.4"}]

    mark = sandbox_mark()
    code, output, recap = converge()
    assert code == 0, output[-3000:]
    assert recap["changed"] == 0
    assert aws_writes(mark) == {}
    assert len(health_checks(route53)) == 1  # found again by its Name tag, not duplicated


def test_failover_answers_follow_the_health_check(route53, zone_id):
    check_id = health_checks(route53)[f"www.{ZONE}-primary"]["Id"]
    assert answer(route53, zone_id) == [BASE["dr_failover_primary_alb_dns_name"]]
    try:
        assert set_status(check_id, "unhealthy")["status"] == "unhealthy"
        assert answer(route53, zone_id) == ["20.61.0.4"]
        status = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
        assert status[0]["StatusReport"]["Status"].startswith("Failure")
        assert answer(route53, zone_id, f"dr.{ZONE}") == ["20.61.0.4"]  # the direct name ignores the check
    finally:
        set_status(check_id, "healthy")
    assert answer(route53, zone_id) == [BASE["dr_failover_primary_alb_dns_name"]]


def test_a_changed_setting_is_updated_in_place(route53, zone_id):
    mark = sandbox_mark()
    code, output, recap = converge(
        "--diff", dr_failover_health_check_failure_threshold=5, dr_failover_ttl=30, dr_failover_dr_record_name=""
    )
    assert code == 0, output[-3000:]
    assert recap["changed"] == 2  # the check's threshold, the SECONDARY's TTL
    assert aws_writes(mark) == {"UpdateHealthCheck": 1, "ChangeResourceRecordSets": 1}
    assert health_checks(route53)[f"www.{ZONE}-primary"]["HealthCheckConfig"]["FailureThreshold"] == 5
    assert {r["Failover"]: r for r in records(route53, zone_id, f"www.{ZONE}")}["SECONDARY"]["TTL"] == 30


# Throttling ----------------------------------------------------------------------------------


@pytest.fixture
def throttled_aws(sandbox, request):
    """20% of AWS requests throttled; the plan is cleared whatever happens. Yields a counter of throttled answers."""
    log = sandbox.layout.log_dir / "aws.log"
    start = log.stat().st_size
    request.addfinalizer(lambda: subprocess.run(["sandbox", "faults", "clear"], check=True))
    subprocess.run(["sandbox", "faults", "set", "aws", "throttling=0.2", "--seed", "7"], check=True)

    def throttled() -> int:
        with log.open("rb") as handle:
            handle.seek(start)
            return len(re.findall(rb'"[A-Z]+ /2013-04-01/[^"]*" 400 ', handle.read()))

    return throttled


def test_throttled_route53_is_survived(route53, zone_id, throttled_aws):
    code, output, recap = converge(
        dr_failover_record_name=f"shop.{ZONE}",
        dr_failover_dr_record_name="",
        dr_failover_health_check_name="shop-primary",
    )
    assert code == 0, output[-3000:]
    assert recap["changed"] == 3
    assert throttled_aws() > 0, "no Route53 request was throttled: the test proved nothing"
    assert {r["Failover"] for r in records(route53, zone_id, f"shop.{ZONE}")} == {"PRIMARY", "SECONDARY"}
    code, output, recap = converge(
        dr_failover_record_name=f"shop.{ZONE}",
        dr_failover_dr_record_name="",
        dr_failover_health_check_name="shop-primary",
    )
    assert code == 0, output[-3000:]
    assert recap["changed"] == 0


# The drill --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def standby_estate(sandbox):
    """The Azure side the drill reads: the web VM (deallocated: pilot light) and the static site."""
    for name in ("vm.yml", "website.yml"):
        code, output, _recap = playbook("--skip-tags", "read-back", path=str(AZURE_PLAYBOOKS / name))
        assert code == 0, output[-3000:]
    deallocate = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Deallocate the standby VM",
                    "azure.azcollection.azure_rm_virtualmachine": {
                        "resource_group": "bespin-web",
                        "name": "web-vm",
                        "managed_disk_type": "Standard_LRS",
                        "allocated": False,
                    },
                }
            ],
        }
    ]
    code, output, _recap = playbook(play=deallocate)
    assert code == 0, output[-3000:]


def test_drill_fails_over_to_the_standby_and_restores(route53, zone_id, standby_estate):
    drill_vars = {
        **STANDBY,
        **BASE,
        "dr_drill_vm_resource_group": "bespin-web",
        "dr_drill_vm_name": "web-vm",
        "dr_drill_public_ip_name": "web-ip",
        "dr_drill_site_resource_group": "bespin-site",
        "dr_drill_site_storage_account": "bespinsite",
        "dr_drill_site_url": f"{os.environ['AZURE_STORAGE_BLOB_ENDPOINT']}/$web/index.html",
    }
    code, output, _recap = playbook(*extra_vars(drill_vars), path="playbooks/dr_failover.yml")
    assert code == 0, output[-3000:]
    # The drill is a run of its own: none of the standby's facts, only where to find it.
    drill_only = {**DRILL_ONLY, "dr_drill_site_url": drill_vars["dr_drill_site_url"]}
    code, output, recap = playbook(*extra_vars(drill_only), path="playbooks/dr_drill.yml")
    assert code == 0, output[-5000:]
    assert recap["failed"] == 0
    # The report's lines as printed, long ones folded by the YAML callback: compare with spaces collapsed.
    report = re.sub(r"\s+", " ", output[output.index("DR drill for") :])
    assert re.search(r"\d+\.\d s standby VM web-vm running \(started from pilot light\)", report), report
    assert "HTTP probe skipped" in report
    assert "index.html present and served" in report
    assert re.search(r"\d+\.\d s failed over: Route53 answers the secondary \(20\.61\.0\.4\)", report), report
    assert re.search(r"\d+\.\d s restored: Route53 answers the primary \(k8s-test-", report), report
    assert "standby VM web-vm deallocated again (pilot light)" in report
    assert re.search(r"total: \d+\.\d s", report), report
    assert "client probe skipped (dr_drill_client_probe)" in report
    assert "RTO target: 120 s" in report
    # The check Route53 holds (every 10 s, 3 failures) and the PRIMARY's alias TTL.
    assert "RTO predicted: 90 s (check every 10 s x 3 failures = 30 s, + TTL 60 s (alias))" in report, report
    measured = re.search(r"RTO measured: (\d+\.\d) s \(primary marked failed to the secondary answering;", report)
    assert measured and 0 < float(measured.group(1)) < 120, report
    # Restored afterwards: the check healthy, Route53 answering the primary.
    check_id = health_checks(route53)[f"www.{ZONE}-primary"]["Id"]
    status = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
    assert status[0]["StatusReport"]["Status"].startswith("Success")
    assert answer(route53, zone_id) == [BASE["dr_failover_primary_alb_dns_name"]]
    assert vm_power_state() == "deallocated"


def vm_power_state() -> str:
    from azure.identity import ManagedIdentityCredential
    from azure.mgmt.compute import ComputeManagementClient

    compute = ComputeManagementClient(ManagedIdentityCredential(), os.environ["AZURE_SUBSCRIPTION_ID"])
    view = compute.virtual_machines.instance_view("bespin-web", "web-vm")
    return next(s.code.split("/", 1)[1] for s in view.statuses if s.code.startswith("PowerState/"))


DRILL_ONLY = {
    **{k: v for k, v in BASE.items() if "standby" not in k},
    "dr_drill_vm_resource_group": "bespin-web",
    "dr_drill_vm_name": "web-vm",
    "dr_drill_public_ip_name": "web-ip",
    "dr_drill_site_resource_group": "bespin-site",
    "dr_drill_site_storage_account": "bespinsite",
}


def test_drill_restores_the_primary_when_failover_is_not_seen(route53, zone_id, standby_estate):
    """The real method, pointing the check at a failing path: no checker probes anything in the
    sandbox, so Route53 never sees it fail; the wait fails and the restore still runs."""
    drill_vars = {**DRILL_ONLY, "dr_drill_fail_method": "resource_path", "dr_drill_timeout": 4}
    code, output, _recap = playbook(*extra_vars(drill_vars), path="playbooks/dr_drill.yml")
    assert code != 0, output[-3000:]
    assert "Wait until Route53 reports the check failing" in output
    assert "Restore the primary" in output
    check = health_checks(route53)[f"www.{ZONE}-primary"]
    assert check["HealthCheckConfig"]["ResourcePath"] == "/health"
    assert answer(route53, zone_id) == [BASE["dr_failover_primary_alb_dns_name"]]


def test_a_drill_whose_target_cannot_be_met_fails_before_any_write(route53, zone_id, standby_estate):
    mark = sandbox_mark()
    code, output, _recap = playbook(
        *extra_vars({**DRILL_ONLY, "dr_drill_rto_target_seconds": 60}), path="playbooks/dr_drill.yml"
    )
    assert code != 0
    text = re.sub(r"\s+", " ", output)
    assert "dr_drill_rto_target_seconds 60 s cannot be met: the settings predict 90 s" in text, output[-3000:]
    assert aws_writes(mark) == {}
    assert "Mark the primary unhealthy" not in output


def test_the_runbook_activates_the_standby_and_returns(route53, zone_id, standby_estate):
    """playbooks/dr_activate.yml as on the day: the VM started from pilot light, Route53 sending
    clients to it (the primary's check failed on purpose, as nothing fails here by itself); then back."""
    code, output, _recap = playbook(
        *extra_vars({**DRILL_ONLY, "dr_activate_force": True}), path="playbooks/dr_activate.yml"
    )
    assert code == 0, output[-3000:]
    assert vm_power_state() == "running"
    assert answer(route53, zone_id) == ["20.61.0.4"]
    assert "active: Route53 answers the secondary (20.61.0.4)" in re.sub(r"\s+", " ", output)
    code, output, _recap = playbook(
        *extra_vars({**DRILL_ONLY, "dr_activate_action": "return"}), path="playbooks/dr_activate.yml"
    )
    assert code == 0, output[-3000:]
    assert answer(route53, zone_id) == [BASE["dr_failover_primary_alb_dns_name"]]
    assert vm_power_state() == "deallocated"
    assert "standby VM web-vm deallocated (pilot light)" in output


# The CloudFront secondary ---------------------------------------------------------------------

STATIC = f"static.{ZONE}"
SITE_ORIGIN = "bespinsite.z6.web.core.windows.net"
NO_CERTIFICATE = "11111111-2222-3333-4444-555555555555"
ACM_ARN_PREFIX = "arn:aws:acm:us-east-1:123456789012:certificate/"
EU_ARN_PREFIX = "arn:aws:acm:eu-west-1:123456789012:certificate/"
# The static pair: PRIMARY an alias to the ALB, SECONDARY an alias to the distribution the role makes.
CLOUDFRONT = {
    "dr_failover_record_name": STATIC,
    "dr_failover_secondary_kind": "cloudfront",
    "dr_failover_dr_record_name": "",
    "dr_failover_health_check_name": f"{STATIC}-primary",
    "dr_failover_cloudfront_site_origin": SITE_ORIGIN,  # not the sandbox inventory's
}


@pytest.fixture(scope="module")
def cloudfront(sandbox):
    return boto3.client("cloudfront")


@pytest.fixture(scope="module")
def acm(sandbox):
    return boto3.client("acm", region_name="us-east-1")


def distributions_for(cloudfront, alias: str) -> list[dict]:
    listed = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    return [d for d in listed if alias in d["Aliases"].get("Items", [])]


def test_cloudfront_check_mode_on_a_fresh_zone_writes_nothing(route53, zone_id, cloudfront):
    mark = sandbox_mark()
    code, output, recap = converge("--check", "--diff", **CLOUDFRONT)
    assert code == 0, output[-3000:]
    # health check, certificate, its validation record, distribution, PRIMARY, SECONDARY
    assert recap["changed"] == 6, output[-3000:]
    assert "would create: aliases" in output
    assert aws_writes(mark) == {}
    assert distributions_for(cloudfront, STATIC) == []


def test_cloudfront_in_front_of_the_site_with_its_certificate_and_a_rerun_writes_nothing(
    route53, zone_id, cloudfront, acm
):
    mark = sandbox_mark()
    code, output, recap = converge(**CLOUDFRONT)
    assert code == 0, output[-3000:]
    writes = aws_writes(mark)
    assert writes.get("RequestCertificate") == 1 and writes.get("CreateDistributionWithTags") == 1, writes

    (summary,) = distributions_for(cloudfront, STATIC)
    config = cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    (origin,) = config["Origins"]["Items"]
    assert origin["DomainName"] == SITE_ORIGIN
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    assert config["Aliases"]["Items"] == [STATIC]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    (error,) = config["CustomErrorResponses"]["Items"]
    assert (error["ErrorCode"], str(error["ResponseCode"]), error["ResponsePagePath"]) == (404, "404", "/404.html")

    arn = config["ViewerCertificate"]["ACMCertificateArn"]
    assert arn.startswith("arn:aws:acm:us-east-1:")
    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert certificate["DomainName"] == STATIC and certificate["Status"] == "ISSUED"
    # ACM's validation record is in the zone (the sandbox's ACM issues without looking: the test does).
    (validation,) = certificate["DomainValidationOptions"]
    wanted = validation["ResourceRecord"]
    found = records(route53, zone_id, wanted["Name"].rstrip("."))
    assert [r["ResourceRecords"] for r in found] == [[{"Value": wanted["Value"]}]]

    pair = {r["Failover"]: r for r in records(route53, zone_id, STATIC)}
    assert pair["SECONDARY"]["AliasTarget"]["DNSName"].rstrip(".") == summary["DomainName"]
    assert pair["SECONDARY"]["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"

    mark = sandbox_mark()
    code, output, recap = converge(**CLOUDFRONT)
    assert code == 0, output[-3000:]
    assert recap["changed"] == 0
    assert aws_writes(mark) == {}
    assert len(distributions_for(cloudfront, STATIC)) == 1
    mark = sandbox_mark()
    code, output, recap = converge("--check", **CLOUDFRONT)
    assert (code, recap["changed"], aws_writes(mark)) == (0, 0, {}), output[-3000:]


def test_a_warm_standby_becomes_the_app_origin_in_place(cloudfront):
    app = {**CLOUDFRONT, "dr_failover_cloudfront_app_origin": STANDBY["azure_standby_fqdn"]}
    mark = sandbox_mark()
    code, output, recap = converge(**app)
    assert code == 0, output[-3000:]
    assert recap["changed"] == 1 and aws_writes(mark) == {"UpdateDistribution": 1}, output[-3000:]
    (summary,) = distributions_for(cloudfront, STATIC)
    config = cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    origins = {o["Id"]: o["DomainName"] for o in config["Origins"]["Items"]}
    assert origins == {"azure-site": SITE_ORIGIN, "azure-vm": STANDBY["azure_standby_fqdn"]}
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "azure-vm"
    (page,) = config["CacheBehaviors"]["Items"]
    assert (page["PathPattern"], page["TargetOriginId"]) == ("/404.html", "azure-site")
    codes = {e["ErrorCode"]: str(e["ResponseCode"]) for e in config["CustomErrorResponses"]["Items"]}
    assert codes == {404: "404", 502: "503", 503: "503", 504: "503"}
    code, output, recap = converge(**app)
    assert (code, recap["changed"]) == (0, 0), output[-3000:]


def other_certificate(acm, name: str) -> str:
    return acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"dr_failover_secondary_kind": "site", "dr_failover_record_type": "CNAME"},
            "dr_failover_secondary_kind site points Route53 straight at the Azure static website",
        ),
        (
            {
                "dr_failover_secondary_kind": "vm",
                "dr_failover_record_type": "CNAME",
                "dr_failover_secondary_target": SITE_ORIGIN,
            },
            f"dr_failover_secondary_target '{SITE_ORIGIN}' is an Azure static website host",
        ),
        (
            {"dr_failover_cloudfront_aliases": [STATIC, "www.example.org"]},
            "dr_failover_cloudfront_aliases must be names inside dr_failover_zone petclinic.example.com",
        ),
        (
            {"dr_failover_cloudfront_site_origin": "bespinsite.blob.core.windows.net"},
            "dr_failover_cloudfront_site_origin must be an Azure static website endpoint",
        ),
        (
            {"dr_failover_cloudfront_certificate_arn": f"{EU_ARN_PREFIX}{NO_CERTIFICATE}"},
            "dr_failover_cloudfront_certificate_arn must be an ACM certificate ARN in us-east-1",
        ),
        (
            {"dr_failover_cloudfront_certificate_arn": f"{ACM_ARN_PREFIX}{NO_CERTIFICATE}"},
            f"certificate/{NO_CERTIFICATE}: no such certificate in us-east-1",
        ),
    ],
)
def test_bad_cloudfront_settings_fail_before_any_write(overrides, message):
    mark = sandbox_mark()
    code, output, _recap = converge(**{**CLOUDFRONT, "dr_failover_record_name": f"bad.{ZONE}", **overrides})
    assert code != 0
    assert message in re.sub(r"\s+", " ", output), output[-3000:]
    assert aws_writes(mark) == {}


def test_a_certificate_for_another_name_fails_before_any_write(acm):
    arn = other_certificate(acm, "shop.example.org")
    deadline = time.monotonic() + 30
    while (
        acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] != "ISSUED"
        and time.monotonic() < deadline
    ):
        time.sleep(1)
    mark = sandbox_mark()
    code, output, _recap = converge(
        **{**CLOUDFRONT, "dr_failover_record_name": f"bad.{ZONE}", "dr_failover_cloudfront_certificate_arn": arn}
    )
    assert code != 0
    text = re.sub(r"\s+", " ", output)
    assert (
        f"dr_failover_cloudfront_certificate_arn {arn}: it is for shop.example.org and does not cover bad.{ZONE}"
        in text
    ), output[-3000:]
    assert aws_writes(mark) == {}
