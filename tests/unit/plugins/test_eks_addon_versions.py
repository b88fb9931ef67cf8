"""eks_addon_versions: versions ordered by their numbers, `latest` and `default` resolved per Kubernetes version."""

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_versions import (
    VersionError,
    resolve_version,
    summarise,
    version_key,
)


def version(name, *clusters, default_for=()):
    return {
        "addonVersion": name,
        "architecture": ["amd64"],
        "computeTypes": ["ec2"],
        "compatibilities": [{"clusterVersion": c, "defaultVersion": c in default_for} for c in clusters],
        "requiresIamPermissions": False,
    }


# Listed out of order on purpose: EKS does not promise one, and text order puts eksbuild.10 before eksbuild.9.
ENTRY = {
    "addonName": "coredns",
    "type": "networking",
    "owner": "aws",
    "publisher": "eks",
    "defaultNamespace": "kube-system",
    "addonVersions": [
        version("v1.12.1-eksbuild.9", "1.34", "1.35", default_for=("1.35",)),
        version("v1.12.1-eksbuild.10", "1.35"),
        version("v1.9.3-eksbuild.2", "1.34", default_for=("1.34",)),
        version("v1.13.0-eksbuild.1", "1.36"),
    ],
}


def test_versions_sort_by_their_numbers():
    names = ["v1.12.1-eksbuild.9", "v1.12.1-eksbuild.10", "v1.9.3-eksbuild.2"]
    assert sorted(names, key=version_key, reverse=True) == [
        "v1.12.1-eksbuild.10",
        "v1.12.1-eksbuild.9",
        "v1.9.3-eksbuild.2",
    ]


def test_summary_keeps_only_compatible_versions_newest_first():
    summary = summarise(ENTRY, "1.35")
    assert [v["version"] for v in summary["versions"]] == ["v1.12.1-eksbuild.10", "v1.12.1-eksbuild.9"]
    assert summary["default_version"] == "v1.12.1-eksbuild.9"
    assert summary["latest_version"] == "v1.12.1-eksbuild.10"
    assert summary["default_namespace"] == "kube-system"
    assert summary["versions"][1]["default"] is True


@pytest.mark.parametrize(
    ("requested", "kubernetes", "expected"),
    [
        ("latest", "1.35", "v1.12.1-eksbuild.10"),
        ("default", "1.35", "v1.12.1-eksbuild.9"),
        ("default", "1.34", "v1.9.3-eksbuild.2"),
        ("latest", "1.34", "v1.12.1-eksbuild.9"),
        ("v1.12.1-eksbuild.9", "1.34", "v1.12.1-eksbuild.9"),
    ],
)
def test_resolution(requested, kubernetes, expected):
    assert resolve_version(requested, summarise(ENTRY, kubernetes)) == expected


def test_incompatible_version_names_the_compatible_ones():
    with pytest.raises(VersionError) as raised:
        resolve_version("v1.13.0-eksbuild.1", summarise(ENTRY, "1.35"))
    message = str(raised.value)
    assert message.startswith("addon_version: coredns v1.13.0-eksbuild.1 is not compatible with Kubernetes 1.35")
    assert "v1.12.1-eksbuild.10, v1.12.1-eksbuild.9" in message


def test_default_without_a_marked_default_lists_the_choices():
    with pytest.raises(VersionError, match=r"no default version of coredns for Kubernetes 1\.36.*v1\.13\.0"):
        resolve_version("default", summarise(ENTRY, "1.36"))


def test_no_version_for_the_kubernetes_version():
    with pytest.raises(VersionError, match=r"has no version for Kubernetes 1\.30"):
        resolve_version("latest", summarise(ENTRY, "1.30"))
