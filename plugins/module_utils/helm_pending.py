# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to do with a Helm release an interrupted run left pending, and which helm failures are worth retrying.

A killed `helm install/upgrade/rollback` leaves the release's last revision in a
pending-* state, and Helm refuses every later operation on it ("another operation is in
progress"). kubernetes.core has no way out of that state, hence this small planner:
roll back to the last revision that was deployed, or uninstall a release that never was.
"""

import re

from ansible_collections.bespin.platform.plugins.module_utils.k8s_syntax import (
    HELM_RELEASE_NAME_MAX,
    check_dns_label,
    check_dns_subdomain,
    problems_of,
)

PENDING = ("pending-install", "pending-upgrade", "pending-rollback")
# Revisions that once ran: a rollback target.
SETTLED = ("deployed", "superseded")
# What the helm CLI prints for throttling, API server errors and broken connections
# (client-go retries only 429s with Retry-After, and GETs on a reset connection).
TRANSIENT = re.compile(
    r"too many requests|throttl|unavailable|internal ?error|error on the server|failed this request"
    r"|connection reset|connection refused|broken pipe|unexpected EOF|\bEOF\b|i/o timeout|TLS handshake timeout"
    r"|try again|timeout awaiting response",
    re.IGNORECASE,
)


def release_problems(name, namespace, where=""):
    """Messages naming a bad release name or namespace (`where` prefixes the field names)."""
    return problems_of(
        (check_dns_subdomain, name, f"{where}name", HELM_RELEASE_NAME_MAX),
        (check_dns_label, namespace, f"{where}namespace"),
    )


def bad_fields(releases, timeout):
    """Messages naming each bad field, before anything is read."""
    problems = []
    for index, release in enumerate(releases):
        problems += release_problems(release.get("name") or "", release.get("namespace") or "", f"releases[{index}].")
    if timeout < 1:
        problems.append(f"timeout must be at least 1 second, got {timeout}")
    return problems


def is_transient(stderr):
    return bool(TRANSIENT.search(stderr or ""))


def pending_release(listed, name):
    """The release `name` from `helm list --all -o json`, when its last revision is pending; else None."""
    for release in listed:
        if release.get("name") == name and release.get("status") in PENDING:
            return release
    return None


def recovery(history, pending_revision):
    """('rollback', revision) to the newest revision before the pending one that once ran, or ('uninstall', None)."""
    settled = [
        int(entry["revision"])
        for entry in history
        if entry.get("status") in SETTLED and int(entry["revision"]) < int(pending_revision)
    ]
    return ("rollback", max(settled)) if settled else ("uninstall", None)
