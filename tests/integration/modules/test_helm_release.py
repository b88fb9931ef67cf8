"""helm_release against the sandbox: install, rerun, upgrade, diff, settle, lost record, faults, absent.

The releases are the sandbox's stand-in metrics-server chart, in a namespace of their own;
each test reads back with helm and kubectl, and counts the sandbox's writes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import real_writes, run_module, sandbox_mark
from helm_releases import CHART, CHART_VERSION, Releases

from bespin_sandbox.faults import clear_faults, injected, set_faults

pytestmark = pytest.mark.sandbox
NAMESPACE = "helm-release-test"
HERE = Releases(NAMESPACE)
MODULE = "bespin.platform.helm_release"


def args(name: str, **extra) -> dict:
    repository = os.environ["BESPIN_CHART_REPO_URL"]
    return {"name": name, "namespace": NAMESPACE, "chart_ref": CHART, "chart_repo_url": repository,
            "chart_version": CHART_VERSION, "timeout": 120, **extra}  # fmt: skip


@pytest.fixture(scope="module")
def installed(sandbox):
    """A release installed by the module (check mode first), waited for; then uninstalled."""
    mark = sandbox_mark()
    predicted = run_module(MODULE, args("web", values={"replicas": 1}), check=True)
    assert (predicted["changed"], predicted["operation"]) == (True, "install"), predicted
    assert predicted["differences"] == ["the release is absent"]
    assert real_writes(mark) == 0, "check mode wrote"
    assert HERE.status("web") == "absent"
    result = run_module(MODULE, args("web", values={"replicas": 1}, wait_deployments=["web-metrics-server"]))
    yield result
    HERE.helm("uninstall", "web", "--wait", check=False)


def test_install_waits_for_what_it_was_asked_to(installed):
    assert (installed["changed"], installed["operation"], installed["settled"]) == (True, "install", "none"), installed
    assert installed["status"]["status"] == "deployed"
    assert installed["status"]["chart"] == f"{CHART}-{CHART_VERSION}"
    conditions = HERE.deployment("web")["status"]["conditions"]
    assert {"type": "Available", "status": "True"} in [{k: c[k] for k in ("type", "status")} for c in conditions]


def test_a_rerun_changes_nothing_and_writes_nothing(installed):
    mark = sandbox_mark()
    again = run_module(MODULE, args("web", values={"replicas": 1}))
    assert (again["changed"], again["operation"], again["differences"]) == (False, "none", []), again
    assert real_writes(mark) == 0


def test_a_values_change_is_predicted_with_a_diff_then_upgraded(installed):
    mark = sandbox_mark()
    predicted = run_module(MODULE, args("web", values={"replicas": 2}), check=True, diff=True)
    assert (predicted["changed"], predicted["operation"]) == (True, "upgrade"), predicted
    assert predicted["differences"] == ["its values differ"]
    diff = predicted["diff"]
    assert (diff["before"]["values"], diff["after"]["values"]) == ({"replicas": 1}, {"replicas": 2})
    assert "replicas: 1" in diff["before"]["manifest"] and "replicas: 2" in diff["after"]["manifest"]
    assert real_writes(mark) == 0
    upgraded = run_module(MODULE, args("web", values={"replicas": 2}))
    assert (upgraded["changed"], upgraded["status"]["revision"]) == (True, 2), upgraded
    assert HERE.deployment("web")["spec"]["replicas"] == 2


def test_a_release_an_interrupted_run_left_pending_is_settled_first(sandbox):
    HERE.install("killed")
    assert HERE.killed_while_waiting("killed") == "pending-upgrade"
    predicted = run_module(MODULE, args("killed"), check=True)
    assert (predicted["changed"], predicted["settled"]) == (True, "rollback"), predicted
    assert HERE.status("killed") == "pending-upgrade", "check mode settled it"
    result = run_module(MODULE, args("killed"))
    # Rolled back to revision 1, which already runs the chart and values asked for: no upgrade on top.
    assert (result["changed"], result["settled"], result["operation"]) == (True, "rollback", "none"), result
    assert HERE.history("killed")[-1][1:] == ("deployed", "Rollback to 1")
    HERE.helm("uninstall", "killed", "--wait", check=False)


def test_a_first_install_an_interrupted_run_left_pending_is_installed_again(sandbox):
    assert HERE.killed_while_waiting("fresh") == "pending-install"
    result = run_module(MODULE, args("fresh"))
    assert (result["settled"], result["operation"], result["status"]["status"]) == (
        "uninstall", "install", "deployed"), result  # fmt: skip
    HERE.helm("uninstall", "fresh", "--wait", check=False)


def test_a_lost_record_is_kept_by_the_run_that_lost_it(sandbox):
    plan_file = sandbox.layout.faults_file
    before = injected(plan_file)["kubernetes error500"]
    set_faults(plan_file, "kubernetes", {"error500": 1.0}, only=HERE.record_update("recorded"), times=1)
    try:
        result = run_module(MODULE, args("recorded"))
        met = injected(plan_file)["kubernetes error500"] - before
    finally:
        clear_faults(plan_file)
    assert met == 1, f"the sandbox failed the record write {met} times, not once"
    assert (result["operation"], result["settled"], result["status"]["status"]) == (
        "install", "kept", "deployed"), result  # fmt: skip
    assert HERE.history("recorded") == [(1, "pending-install", "Initial install underway"),
                                        (2, "deployed", "Rollback to 1")]  # fmt: skip
    mark = sandbox_mark()
    again = run_module(MODULE, args("recorded"))
    assert again["changed"] is False and real_writes(mark) == 0
    HERE.helm("uninstall", "recorded", "--wait", check=False)


def test_an_upgrade_failing_on_a_server_error_is_tried_again(sandbox):
    """Every write to the release's Deployment fails once with a 500: helm gives up, the module tries again."""
    plan_file = sandbox.layout.faults_file
    HERE.install("flaky")
    before = injected(plan_file)["kubernetes error500"]
    only = rf"^(PATCH|PUT) /apis/apps/v1/namespaces/{NAMESPACE}/deployments/flaky-metrics-server"
    set_faults(plan_file, "kubernetes", {"error500": 1.0}, only=only, times=1)
    try:
        result = run_module(MODULE, args("flaky", values={"replicas": 2}))
        met = injected(plan_file)["kubernetes error500"] - before
    finally:
        clear_faults(plan_file)
    assert met == 1
    assert result.get("failed") is not True, result
    assert (result["operation"], result["status"]["status"]) == ("upgrade", "deployed"), result
    assert HERE.deployment("flaky")["spec"]["replicas"] == 2
    HERE.helm("uninstall", "flaky", "--wait", check=False)


def test_absent_uninstalls_in_check_mode_predicts_and_a_rerun_changes_nothing(sandbox):
    HERE.install("gone")
    mark = sandbox_mark()
    predicted = run_module(MODULE, {"name": "gone", "namespace": NAMESPACE, "state": "absent"}, check=True, diff=True)
    assert (predicted["changed"], predicted["operation"]) == (True, "uninstall"), predicted
    assert predicted["diff"]["after"]["status"]["status"] == "absent"
    assert real_writes(mark) == 0 and HERE.status("gone") == "deployed"
    result = run_module(MODULE, {"name": "gone", "namespace": NAMESPACE, "state": "absent"})
    assert result["changed"] is True and HERE.status("gone") == "absent"
    mark = sandbox_mark()
    again = run_module(MODULE, {"name": "gone", "namespace": NAMESPACE, "state": "absent"})
    assert again["changed"] is False and real_writes(mark) == 0


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"name": "Bad_Name"}, ["name"]),
        ({"name": "x" * 54, "namespace": "Not A Namespace"}, ["name", "namespace"]),
        ({"chart_version": ""}, ["chart_version"]),
        ({"timeout": 0, "wait_crds": ["nodepools"]}, ["timeout", "wait_crds[0]"]),
    ],
)
def test_bad_input_fails_naming_every_field_before_any_helm_call(sandbox, extra, fields):
    mark = sandbox_mark()
    result = run_module(MODULE, {**args("bad"), **extra})
    assert result.get("failed") is True, result
    assert [problem.split(" ")[0] for problem in result["msg"].split("; ")] == fields, result["msg"]
    assert real_writes(mark) == 0
