"""helm_release_unlock against the sandbox: releases left pending by a killed helm, unlocked.

A pending release is made the way it happens: `helm upgrade --wait` (or install) of a
release whose pods cannot be scheduled, killed with SIGKILL while it waits; or an install
that succeeds while the sandbox fails Helm's last write, the record of the release as
deployed (helm then exits 0 and the release stays pending-install).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import real_writes, run_module, sandbox_mark
from helm_releases import CHART, Releases

from bespin_sandbox.faults import clear_faults, set_faults

pytestmark = pytest.mark.sandbox
NAMESPACE = "unlock-test"
RELEASES_HERE = Releases(NAMESPACE)
helm, status, install = RELEASES_HERE.helm, RELEASES_HERE.status, RELEASES_HERE.install
killed_while_waiting = RELEASES_HERE.killed_while_waiting


@pytest.fixture(scope="module")
def locked(sandbox):
    """`upgraded`: deployed once, then an upgrade killed (pending-upgrade); `installed`: a first install killed."""
    install("upgraded")
    found = {"upgraded": killed_while_waiting("upgraded"), "installed": killed_while_waiting("installed")}
    assert found == {"upgraded": "pending-upgrade", "installed": "pending-install"}
    yield
    for name in ("upgraded", "installed"):
        helm("uninstall", name, check=False)


RELEASES = [
    {"name": "upgraded", "namespace": NAMESPACE},
    {"name": "installed", "namespace": NAMESPACE},
    {"name": "never-installed", "namespace": NAMESPACE},
]


def test_check_mode_says_what_it_would_do_and_writes_nothing(locked):
    mark = sandbox_mark()
    result = run_module("bespin.platform.helm_release_unlock", {"releases": RELEASES}, check=True, diff=True)
    assert result["changed"] is True
    assert [(r["name"], r["status"], r["action"]) for r in result["releases"]] == [
        ("upgraded", "pending-upgrade", "rollback"),
        ("installed", "pending-install", "uninstall"),
        ("never-installed", "absent", "none"),
    ]
    assert result["releases"][0]["to_revision"] == 1
    assert result["diff"]["before"] == {
        f"{NAMESPACE}/upgraded": "pending-upgrade (revision 2)",
        f"{NAMESPACE}/installed": "pending-install (revision 1)",
    }
    assert real_writes(mark) == 0
    assert (status("upgraded"), status("installed")) == ("pending-upgrade", "pending-install")


def test_it_rolls_back_the_upgrade_and_removes_the_install_then_changes_nothing(locked):
    result = run_module("bespin.platform.helm_release_unlock", {"releases": RELEASES})
    assert result["changed"] is True, result
    assert status("upgraded") == "deployed"
    history = json.loads(helm("history", "upgraded", "--output", "json").stdout)
    assert history[-1]["description"] == "Rollback to 1"
    assert status("installed") == "absent"
    mark = sandbox_mark()
    again = run_module("bespin.platform.helm_release_unlock", {"releases": RELEASES})
    assert again["changed"] is False and {r["action"] for r in again["releases"]} == {"none"}
    assert real_writes(mark) == 0
    # The release accepts operations again: an upgrade goes through.
    install("upgraded", "--set", "replicas=1")
    assert status("upgraded") == "deployed"


RECORD_UPDATE = RELEASES_HERE.record_update()


@pytest.fixture
def record_lost(sandbox):
    """A first install that helm reports a success (rc 0) but whose final record write failed: pending-install."""
    plan_file = sandbox.layout.faults_file
    set_faults(plan_file, "kubernetes", {"error500": 1.0}, only=RECORD_UPDATE, times=1)
    try:
        completed = helm("upgrade", "--install", "recorded", CHART, "--repo", os.environ["BESPIN_CHART_REPO_URL"],
                         "--create-namespace", "--wait", "--timeout", "120s", "--debug", check=False)  # fmt: skip
    finally:
        clear_faults(plan_file)
    assert completed.returncode == 0, completed.stderr
    assert "failed to record the release" in completed.stderr  # helm says so only with --debug
    assert status("recorded") == "pending-install"
    yield
    helm("uninstall", "recorded", check=False)


def deployment(name: str) -> dict:
    return RELEASES_HERE.deployment(name)["metadata"]


def test_a_lost_record_of_an_applied_install_is_kept_not_undone(record_lost):
    before = deployment("recorded")
    released = [{"name": "recorded", "namespace": NAMESPACE}]
    predicted = run_module("bespin.platform.helm_release_unlock", {"releases": released, "applied": True}, check=True)
    assert [(r["status"], r["action"], r.get("to_revision")) for r in predicted["releases"]] == [
        ("pending-install", "rollback", 1)
    ]
    result = run_module("bespin.platform.helm_release_unlock", {"releases": released, "applied": True}, diff=True)
    assert result["changed"] is True, result
    assert result["diff"]["after"] == {f"{NAMESPACE}/recorded": "deployed (revision 1 kept: re-applied and recorded)"}
    assert status("recorded") == "deployed"
    # The same objects, untouched: kept, not uninstalled and installed again.
    after = deployment("recorded")
    assert (after["uid"], after["generation"]) == (before["uid"], before["generation"])
    mark = sandbox_mark()
    again = run_module("bespin.platform.helm_release_unlock", {"releases": released, "applied": True})
    assert again["changed"] is False
    assert real_writes(mark) == 0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"releases": [{"name": "Bad_Name", "namespace": NAMESPACE}]}, "releases[0].name"),
        ({"releases": [{"name": "x" * 54, "namespace": NAMESPACE}]}, "releases[0].name"),
        ({"releases": [{"name": "ok", "namespace": "Not A Namespace"}]}, "releases[0].namespace"),
        ({"releases": [{"name": "ok", "namespace": NAMESPACE}], "timeout": 0}, "timeout"),
        ({"releases": [{"name": "ok"}]}, "namespace"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_helm_call(sandbox, args, field):
    mark = sandbox_mark()
    result = run_module("bespin.platform.helm_release_unlock", args)
    assert result.get("failed") is True and field in result["msg"], result
    assert real_writes(mark) == 0
