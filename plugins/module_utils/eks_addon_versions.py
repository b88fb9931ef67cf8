# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which versions of an EKS add-on run on a Kubernetes version, which is the default, which is the latest.

Works on one entry of DescribeAddonVersions' answer. EKS does not promise an
order, and its version strings (``v1.20.4-eksbuild.2``) do not sort as text
(``eksbuild.10`` after ``eksbuild.9``), so versions are ordered by their numbers.
"""

import re

LATEST = "latest"
DEFAULT = "default"


class VersionError(ValueError):
    """A requested version the cluster cannot run; the message names the compatible ones."""


def version_key(version):
    """Sort key: the numbers of the version in order (v1.20.4-eksbuild.2 -> (1, 20, 4, 2)), then the text."""
    return tuple(int(number) for number in re.findall(r"\d+", version)), version


def _compatibility(version_entry, kubernetes_version):
    return next(
        (c for c in version_entry.get("compatibilities", []) if c.get("clusterVersion") == kubernetes_version),
        None,
    )


def summarise(addon_entry, kubernetes_version):
    """An add-on's versions for one Kubernetes version, newest first, with its default and latest."""
    versions = []
    for entry in addon_entry.get("addonVersions", []):
        compatibility = _compatibility(entry, kubernetes_version)
        if compatibility is None:
            continue
        versions.append(
            dict(
                version=entry["addonVersion"],
                default=bool(compatibility.get("defaultVersion")),
                architectures=entry.get("architecture", []),
                compute_types=entry.get("computeTypes", []),
                requires_configuration=bool(entry.get("requiresConfiguration")),
                requires_iam_permissions=bool(entry.get("requiresIamPermissions")),
            )
        )
    versions.sort(key=lambda v: version_key(v["version"]), reverse=True)
    default = next((v["version"] for v in versions if v["default"]), None)
    return dict(
        name=addon_entry["addonName"],
        type=addon_entry.get("type"),
        owner=addon_entry.get("owner"),
        publisher=addon_entry.get("publisher"),
        default_namespace=addon_entry.get("defaultNamespace"),
        kubernetes_version=kubernetes_version,
        default_version=default,
        latest_version=versions[0]["version"] if versions else None,
        versions=versions,
    )


def resolve_version(requested, summary, field="addon_version"):
    """The exact version `requested` (an exact version, `latest` or `default`) means for this summary."""
    name, kubernetes_version = summary["name"], summary["kubernetes_version"]
    compatible = [v["version"] for v in summary["versions"]]
    if not compatible:
        raise VersionError(f"{field}: add-on {name} has no version for Kubernetes {kubernetes_version}")
    if requested == LATEST:
        return summary["latest_version"]
    if requested == DEFAULT:
        if summary["default_version"] is None:
            raise VersionError(
                f"{field}: EKS names no default version of {name} for Kubernetes {kubernetes_version}; "
                f"choose one of: {', '.join(compatible)}"
            )
        return summary["default_version"]
    if requested not in compatible:
        raise VersionError(
            f"{field}: {name} {requested} is not compatible with Kubernetes {kubernetes_version}; "
            f"compatible versions (newest first): {', '.join(compatible)}"
        )
    return requested
