"""bespin.platform.eks_addon_info against the sandbox: installed add-ons, and versions per Kubernetes version.

What the module reports is compared with what boto3 reads from the same API.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import boto3
import pytest

from bespin_sandbox import topology as topologies

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import run_module, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.eks_addon_info"
WAIT = {"Delay": 1, "MaxAttempts": 60}


@pytest.fixture(scope="module")
def eks(sandbox):
    return boto3.client("eks")


@pytest.fixture(scope="module")
def cluster(sandbox):
    return topologies.load(sandbox.layout.topology_file).cluster_name


@pytest.fixture(scope="module")
def installed(eks, cluster):
    """kube-proxy installed with boto3, with configuration values in YAML (the module returns a mapping)."""
    eks.create_addon(
        clusterName=cluster, addonName="kube-proxy", configurationValues="mode: ipvs\n", tags={"team": "platform"}
    )
    eks.get_waiter("addon_active").wait(clusterName=cluster, addonName="kube-proxy", WaiterConfig=WAIT)
    return eks.describe_addon(clusterName=cluster, addonName="kube-proxy")["addon"]


def expected_versions(eks, kubernetes_version):
    """{add-on: (default, newest first)} from DescribeAddonVersions."""
    expected = {}
    for entry in eks.describe_addon_versions(kubernetesVersion=kubernetes_version)["addons"]:
        compatible, default = [], None
        for version in entry["addonVersions"]:
            for compatibility in version["compatibilities"]:
                if compatibility["clusterVersion"] == kubernetes_version:
                    compatible.append(version["addonVersion"])
                    default = version["addonVersion"] if compatibility["defaultVersion"] else default
        compatible.sort(key=lambda v: [int(n) for n in re.findall(r"\d+", v)], reverse=True)
        expected[entry["addonName"]] = (default, compatible)
    return expected


def test_installed_add_ons_and_the_versions_of_the_clusters_kubernetes(eks, cluster, installed):
    described = eks.describe_cluster(name=cluster)["cluster"]
    kubernetes_version = described["version"]
    mark = sandbox_mark()
    result = run_module(MODULE, {"cluster_name": cluster})
    assert result["changed"] is False and not result.get("failed"), result
    assert "aws" not in sandbox_writes(mark)
    assert result["kubernetes_version"] == kubernetes_version
    assert result["cluster"]["oidc_issuer"] == described["identity"]["oidc"]["issuer"]
    assert result["cluster"]["vpc_id"] == described["resourcesVpcConfig"].get("vpcId")  # moto gives none
    assert (result["cluster"]["name"], result["cluster"]["version"]) == (cluster, kubernetes_version)

    (addon,) = result["addons"]
    assert addon["addon_name"] == "kube-proxy"
    assert addon["addon_version"] == installed["addonVersion"]
    assert addon["configuration_values"] == {"mode": "ipvs"}
    assert addon["tags"] == {"team": "platform"}
    assert addon["status"] == "ACTIVE"

    expected = expected_versions(eks, kubernetes_version)
    available = {summary["name"]: summary for summary in result["available"]}
    assert set(available) == set(expected)
    for name, (default, compatible) in expected.items():
        summary = available[name]
        assert summary["default_version"] == default, name
        assert summary["latest_version"] == compatible[0], name
        assert [v["version"] for v in summary["versions"]] == compatible, name
        assert [v["version"] for v in summary["versions"] if v["default"]] == [default], name


def test_another_kubernetes_version_and_one_add_on(eks, cluster, installed):
    cluster_version = eks.describe_cluster(name=cluster)["cluster"]["version"]
    other = next(
        v["clusterVersion"]
        for entry in eks.describe_addon_versions(addonName="coredns")["addons"]
        for version in entry["addonVersions"]
        for v in version["compatibilities"]
        if v["clusterVersion"] != cluster_version
    )
    result = run_module(MODULE, {"cluster_name": cluster, "kubernetes_version": other, "name": "coredns"})
    assert result["kubernetes_version"] == other
    assert result["addons"] == []  # coredns is not installed
    (summary,) = result["available"]
    default, compatible = expected_versions(eks, other)["coredns"]
    assert summary["name"] == "coredns"
    assert (summary["default_version"], summary["latest_version"]) == (default, compatible[0])

    only_version = run_module(MODULE, {"kubernetes_version": other, "name": "coredns"})
    assert "addons" not in only_version
    assert json.dumps(only_version["available"], sort_keys=True) == json.dumps(result["available"], sort_keys=True)


def test_errors(cluster):
    missing = run_module(MODULE, {"cluster_name": "no-such-cluster"})
    assert missing.get("failed") is True
    assert missing["msg"].startswith("cluster_name: there is no EKS cluster named 'no-such-cluster'"), missing["msg"]
    neither = run_module(MODULE, {"name": "coredns"})
    assert neither.get("failed") is True
    assert "cluster_name" in neither["msg"] and "kubernetes_version" in neither["msg"], neither["msg"]
