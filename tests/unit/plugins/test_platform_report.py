"""The report document built from the report playbook's reads, and its text form."""

from __future__ import annotations

import json

from ansible_collections.bespin.platform.plugins.filter.platform_report import platform_report, platform_report_text


def node(name, group, labels=None, taints=None):
    return {
        "metadata": {
            "name": name,
            "labels": {
                "eks.amazonaws.com/nodegroup": group,
                "topology.kubernetes.io/zone": "ap-northeast-2a",
                "kubernetes.io/hostname": name,
                **(labels or {}),
            },
        },
        "spec": {"taints": taints or []},
    }


READS = {
    "nodes": {
        "resources": [
            node("n1", "infra", {"tier": "infra"}, [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]),
            node("n2", "app", {"tier": "app"}),
        ]
    },
    "managed": {"addons": [{"addon_name": "coredns", "addon_version": "v1.13.1-eksbuild.1", "status": "ACTIVE"}]},
    "helm": {
        "stdout": json.dumps(
            [
                {
                    "name": "karpenter",
                    "namespace": "kube-system",
                    "chart": "karpenter-1.8.1",
                    "app_version": "1.8.1",
                    "status": "deployed",
                    "revision": "1",
                }
            ]
        )
    },
    "argocd": {
        "results": [
            {"item": "AppProject", "resources": [{"metadata": {"name": "default"}}]},
            {
                "item": "Application",
                "resources": [
                    {
                        "metadata": {"name": "root"},
                        "spec": {
                            "project": "default",
                            "source": {"repoURL": "https://git.example.com/g.git", "path": "apps"},
                            "ignoreDifferences": [
                                {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}
                            ],
                        },
                    }
                ],
            },
        ]
    },
    "redis": {
        "usable": True,
        "maxmemory_policy": "volatile-lru",
        "checks": {"write": {"ok": True, "detail": "written"}},
        "topology": {
            "master": "10.0.0.1:6379",
            "replicas": [{"address": "10.0.0.2:6379"}],
            "quorum": 2,
            "sentinels": [{"address": "10.0.0.3:26379"}],
        },
    },
    "placement": {
        "dedicated=infra:NoSchedule": {
            "nodes": ["n1"],
            "tolerating_probe_on": ["n1"],
            "untolerating_probe_on": ["(pending)"],
        }
    },
    "vms": {"skipped": True},
    "records": None,
    "runs": [{"name": "first", "recap": {"ok": 10, "changed": 4}, "seconds": 12.5, "writes": 30}],
}


def test_every_section_is_built_from_its_read():
    report = platform_report(READS, title="petclinic")
    assert report["addons"]["helm"][0]["version"] == "1.8.1"
    assert report["addons"]["helm"][0]["chart"] == "karpenter"
    infra = next(group for group in report["nodes"]["groups"] if group["nodegroup"] == "infra")
    assert infra["nodes"][0]["labels"] == {"tier": "infra"}, "system labels are left out"
    assert infra["nodes"][0]["taints"] == ["dedicated=infra:NoSchedule"]
    assert report["nodes"]["placement"][0]["ok"] is True
    assert report["argocd"]["applications"][0]["ignore_differences"] == ["apps/Deployment /spec/replicas"]
    assert report["redis"]["replicas"] == ["10.0.0.2:6379"] and report["redis"]["usable"] is True
    assert report["summary"]["nodes"] == 2 and report["summary"]["managed_active"] == 1


def test_a_probe_on_the_wrong_node_is_reported_wrong():
    reads = {**READS, "placement": {"d=x:NoSchedule": {"nodes": ["n1"], "tolerating_probe_on": ["n2"]}}}
    assert platform_report(reads)["nodes"]["placement"][0]["ok"] is False


def test_sections_not_read_say_so_rather_than_fail():
    report = platform_report({}, title="empty")
    assert report["azure"]["read"] is False and "azure_standby_resource_group" in report["azure"]["note"]
    assert report["route53"]["read"] is False
    assert report["argocd"]["read"] is False
    text = platform_report_text(report)
    assert "(none read)" in text and "Runs" not in text


def test_text_has_every_heading_and_the_runs():
    text = platform_report_text(platform_report(READS, title="petclinic"))
    for heading in (
        "EKS managed add-ons",
        "Helm releases",
        "Nodes by nodegroup",
        "Placement probes",
        "Argo CD",
        "Redis session store",
        "DR: Azure standby",
        "DR: Route53 failover",
        "Runs",
    ):
        assert heading in text
    assert "karpenter" in text and "dedicated=infra:NoSchedule" in text and "12.5" in text


ROUTE53 = {
    "records": {
        "resource_record_sets": [
            {
                "name": "www.example.com.",
                "type": "A",
                "failover": "SECONDARY",
                "alias_target": {"dns_name": "d111111abcdef8.cloudfront.net."},
            }
        ]
    },
    "health": {"health_check_observations": [{"status_report": {"status": "Success: HTTP Status Code 200"}}]},
    "cloudfront": {
        "id": "E2QWRUHAPOMQZL",
        "domain_name": "d111111abcdef8.cloudfront.net",
        "status": "Deployed",
        "aliases": ["www.example.com"],
        "origins": {"azure-site": "site.z6.web.core.windows.net"},
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    },
    "last_drill": "2026-12-03T08:00:00Z measured=64.2s predicted=90s target=120s met",
}


def test_the_distribution_and_the_last_drill_are_reported():
    report = platform_report({**READS, **ROUTE53})
    assert report["route53"]["last_drill"] == {
        "at": "2026-12-03T08:00:00Z",
        "measured": "64.2s",
        "predicted": "90s",
        "target": "120s",
        "result": "met",
    }
    text = platform_report_text(report)
    assert (
        "CloudFront E2QWRUHAPOMQZL d111111abcdef8.cloudfront.net (Deployed): www.example.com to azure-site site.z6"
        in text
    )
    assert "last DR drill: 2026-12-03T08:00:00Z, RTO measured 64.2s, predicted 90s, target 120s: met" in text


def test_no_drill_yet_says_how_to_run_one():
    text = platform_report_text(platform_report({**READS, **ROUTE53, "last_drill": "", "cloudfront": {}}))
    assert "last DR drill: none recorded (ansible-playbook playbooks/dr_drill.yml)" in text
    assert "CloudFront" not in text
