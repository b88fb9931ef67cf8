"""helm_release_unlock against the sandbox: releases left pending by a killed helm, unlocked.

A pending release is made the way it happens: `helm upgrade --wait` (or install) of a
release whose pods cannot be scheduled, killed with SIGKILL while it waits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import real_writes, run_module, sandbox_mark

pytestmark = pytest.mark.sandbox
NAMESPACE = "unlock-test"
CHART = "metrics-server"


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["helm", *args, "--namespace", NAMESPACE], capture_output=True, text=True, check=check)


def status(name: str) -> str:
    listed = json.loads(helm("list", "--all", "--output", "json").stdout)
    return next((release["status"] for release in listed if release["name"] == name), "absent")


def install(name: str, *options: str) -> None:
    helm("upgrade", "--install", name, CHART, "--repo", os.environ["BESPIN_CHART_REPO_URL"], "--create-namespace",
         "--wait", "--timeout", "120s", *options)  # fmt: skip


def killed_while_waiting(name: str) -> str:
    """`helm upgrade --install --wait` whose pods can never be scheduled, SIGKILLed once the release is pending."""
    process = subprocess.Popen(
        ["helm", "upgrade", "--install", name, CHART, "--repo", os.environ["BESPIN_CHART_REPO_URL"],
         "--namespace", NAMESPACE, "--create-namespace", "--wait", "--timeout", "120s",
         "--set-string", "nodeSelector.bespin\\.io/nowhere=true"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not status(name).startswith("pending"):
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return status(name)


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
