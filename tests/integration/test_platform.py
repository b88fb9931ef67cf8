"""The whole platform as a user meets it: `site.yml --check` on a freshly reset
sandbox writes nothing and predicts the tasks the first real run changes; then
`make demo`'s steps (the `demo` fixture of conftest.py), run from the built tarball
installed into an empty collections path (bespin.platform.site): the first run
converges (on a freshly reset sandbox too, so it is the run check mode predicts),
the second changes and writes nothing, and the platform report is written and
renders in headless Chromium with every section."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from ansible_run import changed_tasks, real_writes, recap, sandbox_mark

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("summary", "diagram", "addons", "nodes", "argocd", "redis", "dr", "runs")


def test_tarball_ships_the_collection_and_not_the_tooling(installed):
    root = installed / "ansible_collections" / "bespin" / "platform"
    manifest = json.loads((root / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["namespace"] == "bespin"
    assert set(manifest["collection_info"]["dependencies"]) == {
        "kubernetes.core",
        "amazon.aws",
        "community.aws",
        "azure.azcollection",
    }
    for shipped in ("playbooks/site.yml", "playbooks/platform_report.yml", "meta/runtime.yml"):
        assert (root / shipped).exists(), shipped
    for tooling in (".venv", ".sandbox", "sandbox", "scripts", "requirements", "Makefile", "report"):
        assert not (root / tooling).exists(), f"{tooling} must not ship in the collection"


@pytest.fixture(scope="module")
def check_run(sandbox) -> tuple[subprocess.CompletedProcess, int]:
    """site.yml --check on the freshly reset sandbox, and the real writes it made."""
    mark = sandbox_mark()
    result = subprocess.run(
        ["ansible-playbook", "site.yml", "-i", "inventories/sandbox", "--check"],
        # The default callback, whatever the caller's environment says: changed_tasks reads its lines.
        env={**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default", "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return result, real_writes(mark)


def test_check_mode_on_a_reset_sandbox_writes_nothing(check_run):
    result, writes = check_run
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert writes == 0
    hosts = recap(result.stdout)
    # The controller (the whole estate) and the node hosts (labels and taints): all still to converge.
    assert "localhost" in hosts and len(hosts) > 1, hosts
    assert all(counts["failed"] == 0 and counts["unreachable"] == 0 for counts in hosts.values()), hosts
    assert all(counts["changed"] > 0 for counts in hosts.values()), (
        f"check mode predicted nothing for some host: {hosts}"
    )


def test_check_mode_predicts_the_tasks_the_first_run_changes(check_run, demo):
    """The demo's first run starts from a freshly reset sandbox, as the check run did: every
    task it changes is one check mode said would change, and none other."""
    result, _writes = check_run
    assert demo.runs, demo.result.stdout[-4000:]
    first_run = (demo.report_dir / "site-run-1.log").read_text()
    predicted, made = changed_tasks(result.stdout), changed_tasks(first_run)
    assert made, "no changed task found in the first run's log"
    assert predicted == made, (
        f"changed in the first run but not predicted by check mode: {sorted(made - predicted)}\n"
        f"predicted by check mode but not changed in the first run: {sorted(predicted - made)}"
    )


def test_demo_converges_then_changes_and_writes_nothing(demo):
    result = demo.result
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    first, second = demo.runs
    assert first["recap"]["changed"] > 0 and first["recap"]["failed"] == 0
    assert all(host["changed"] == 0 and host["failed"] == 0 for host in second["hosts"].values()), second["hosts"]
    assert second["writes"] == 0
    # Progress: every play of the site is announced as it starts.
    for play in ("EKS add-ons", "Node topology", "Argo CD", "Redis session store", "Azure standby"):
        assert play in result.stdout


def test_the_report_says_what_the_platform_is(demo):
    report_dir = demo.report_dir
    report = json.loads((report_dir / "platform.json").read_text())
    assert {row["name"] for row in report["addons"]["managed"]} >= {"coredns", "vpc-cni", "kube-proxy"}
    assert all(row["status"] == "ACTIVE" for row in report["addons"]["managed"])
    helm = {row["name"]: row for row in report["addons"]["helm"]}
    assert {"aws-load-balancer-controller", "karpenter", "argocd"} <= set(helm)
    assert all(row["status"] == "deployed" for row in helm.values())
    groups = {group["nodegroup"]: group for group in report["nodes"]["groups"]}
    assert set(groups) == {"system", "app", "infra"}
    assert groups["infra"]["nodes"][0]["labels"]["tier"] == "infra"
    assert groups["infra"]["nodes"][0]["taints"] == ["dedicated=infra:NoSchedule"]
    assert [row["ok"] for row in report["nodes"]["placement"]] == [True]
    root = next(app for app in report["argocd"]["applications"] if app["name"] == "root")
    assert root["ignore_differences"], "the root app's ignoreDifferences are reported"
    assert report["redis"]["usable"] is True and report["redis"]["master"]
    assert report["azure"]["vms"][0]["power_state"].endswith("deallocated")
    assert {row["failover"] for row in report["route53"]["records"]} >= {"PRIMARY", "SECONDARY"}
    # The SECONDARY is an alias to the distribution in front of the maintenance site, and the
    # demo's drill left its result on the health check.
    cloudfront = report["route53"]["cloudfront"]
    secondary = next(row for row in report["route53"]["records"] if row["failover"] == "SECONDARY")
    assert secondary["alias"] and secondary["target"] == cloudfront["domain_name"]
    assert cloudfront["aliases"] == ["www.petclinic.example.com"]
    assert cloudfront["origins"] == {"azure-site": "petclinicstandbysite.z6.web.core.windows.net"}
    assert cloudfront["certificate_arn"].startswith("arn:aws:acm:us-east-1:")
    drill = report["route53"]["last_drill"]
    assert (drill["predicted"], drill["target"], drill["result"]) == ("90s", "120s", "met"), drill
    # The text form (its headings are the unit tests' business): the estate's own names and both runs.
    text = (report_dir / "platform.txt").read_text()
    assert "dedicated=infra:NoSchedule" in text and "petclinic-standby-vm" in text
    assert "first run (converge)" in text and "second run (nothing may change)" in text
    assert f"CloudFront {cloudfront['id']} {cloudfront['domain_name']}" in text
    assert "last DR drill: " in text and "target 120s: met" in text


def png_pixels_differ(png: bytes) -> tuple[int, int, int]:
    """Width, height and how many distinct scanlines the screenshot has (a blank page has one)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    data, offset = b"", 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        if kind == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(data)
    stride = len(raw) // height
    return width, height, len({raw[row * stride + 1 : (row + 1) * stride] for row in range(height)})


def test_the_html_report_renders_in_headless_chromium(demo, tmp_path):
    page = (demo.report_dir / "platform.html").resolve()
    chromium = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,3000",
    ]
    dom = subprocess.run([*chromium, "--dump-dom", page.as_uri()], capture_output=True, text=True, check=True).stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom, f"section {section} is not in the rendered page"
    assert "<svg" in dom and "nodegroup" in dom
    shot = tmp_path / "report.png"
    subprocess.run([*chromium, f"--screenshot={shot}", page.as_uri()], capture_output=True, check=True)
    width, height, distinct_rows = png_pixels_differ(shot.read_bytes())
    assert (width, height) == (1280, 3000)
    assert distinct_rows > 200, "the screenshot is (nearly) blank"


def test_the_readmes_drill_command_passes_after_the_demo(demo):
    """Exactly as the README writes it: a run of its own, which knows the estate only from the inventory."""
    assert demo.result.returncode == 0
    result = subprocess.run(
        ["ansible-playbook", "playbooks/dr_drill.yml", "-i", "inventories/sandbox"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    text = " ".join(result.stdout.split())
    assert "failed over: Route53 answers the secondary" in text
    assert "RTO target: 120 s" in text and "RTO predicted: 90 s" in text and "RTO measured:" in text
