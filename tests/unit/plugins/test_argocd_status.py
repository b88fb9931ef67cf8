"""Reading an Argo CD Application's status: ready or not, and why."""

from __future__ import annotations

from ansible_collections.bespin.platform.plugins.module_utils.argocd_status import (
    describe,
    has_failed,
    is_ready,
    report,
    summarize,
)


def app(name="root", **status):
    return {"metadata": {"name": name}, "status": status}


SYNCED_HEALTHY = {"sync": {"status": "Synced", "revision": "6f1d5a0"}, "health": {"status": "Healthy"}}


def test_an_app_without_status_is_unknown_and_not_ready():
    summary = summarize({"metadata": {"name": "root"}})
    assert (summary["sync_status"], summary["health_status"]) == ("Unknown", "Unknown")
    assert not is_ready(summary, ["Synced"], ["Healthy"])


def test_synced_and_healthy_is_ready_with_its_revision():
    summary = summarize(app(**SYNCED_HEALTHY))
    assert is_ready(summary, ["Synced"], ["Healthy"])
    assert summary["revision"] == "6f1d5a0"
    assert summary["problems"] == []


def test_suspended_counts_only_when_asked():
    summary = summarize(app(sync={"status": "Synced"}, health={"status": "Suspended"}))
    assert not is_ready(summary, ["Synced"], ["Healthy"])
    assert is_ready(summary, ["Synced"], ["Healthy", "Suspended"])


def test_each_bad_resource_is_named_with_its_reasons():
    summary = summarize(
        app(
            sync={"status": "OutOfSync"},
            health={"status": "Degraded"},
            resources=[
                {
                    "kind": "Deployment",
                    "namespace": "petclinic",
                    "name": "was",
                    "status": "OutOfSync",
                    "health": {"status": "Degraded", "message": "progress deadline exceeded"},
                },
                {
                    "kind": "Service",
                    "namespace": "petclinic",
                    "name": "was",
                    "status": "Synced",
                    "health": {"status": "Healthy"},
                },
                {"kind": "Namespace", "name": "petclinic", "status": "Synced"},
                {
                    "kind": "ConfigMap",
                    "namespace": "petclinic",
                    "name": "settings",
                    "status": "Synced",
                    "health": {"status": "Missing"},
                },
            ],
        )
    )
    assert summary["problems"] == [
        "Deployment/petclinic/was: OutOfSync, Degraded (progress deadline exceeded)",
        "ConfigMap/petclinic/settings: Missing",
    ]


def test_a_failed_sync_is_final_and_its_message_and_rejected_objects_are_reported():
    summary = summarize(
        app(
            sync={"status": "OutOfSync"},
            health={"status": "Missing"},
            operationState={
                "phase": "Failed",
                "message": "one or more objects failed to apply",
                "syncResult": {
                    "resources": [
                        {
                            "kind": "Ingress",
                            "namespace": "web",
                            "name": "alb",
                            "status": "SyncFailed",
                            "message": "admission webhook denied",
                        }
                    ]
                },
            },
            conditions=[{"type": "SyncError", "message": "Failed sync attempt"}, {"type": "Info", "message": "x"}],
        )
    )
    assert has_failed(summary)
    text = describe(summary)
    assert "last sync Failed: one or more objects failed to apply" in text
    assert "SyncError: Failed sync attempt" in text
    assert "Ingress/web/alb: SyncFailed (admission webhook denied)" in text
    assert "Info" not in text


def test_a_running_or_succeeded_operation_is_not_a_failure():
    running = summarize(app(sync={"status": "OutOfSync"}, operationState={"phase": "Running"}))
    assert not has_failed(running)
    recovered = summarize(app(sync={"status": "Synced"}, operationState={"phase": "Failed"}))
    assert not has_failed(recovered)


def test_the_report_lists_missing_apps_and_only_the_apps_not_ready():
    ready = summarize(app("infra", **SYNCED_HEALTHY))
    progressing = summarize(app("web", sync={"status": "Synced"}, health={"status": "Progressing"}))
    text = report([ready, progressing], ["chat"], ["Synced"], ["Healthy"])
    assert text == "chat: no such Application | web: sync Synced, health Progressing"


def test_an_app_of_apps_is_followed_to_its_grandchildren_in_its_namespace():
    from ansible_collections.bespin.platform.plugins.module_utils.argocd_status import with_descendants

    def creates(*names, namespace="argocd"):
        return {
            "resources": [
                {"group": "argoproj.io", "kind": "Application", "namespace": namespace, "name": n} for n in names
            ]
            + [{"group": "apps", "kind": "Deployment", "namespace": "petclinic", "name": "web"}]
        }

    apps = {
        "root": app("root", **creates("petclinic", "infra")),
        "infra": app("infra", **creates("monitoring")),
        "petclinic": app("petclinic", **creates("elsewhere", namespace="other")),
        "monitoring": app("monitoring"),
    }
    assert with_descendants(apps, ["root"], "argocd") == ["root", "petclinic", "infra", "monitoring"]
    # An app not there yet is still waited for (as missing), and followed no further.
    assert with_descendants({}, ["root"], "argocd") == ["root"]


def test_only_conditions_that_stop_comparing_or_syncing_block():
    from ansible_collections.bespin.platform.plugins.module_utils.argocd_status import blocking_conditions

    status = {
        "conditions": [
            {"type": "ComparisonError", "message": "failed to list refs: authentication required"},
            {"type": "OrphanedResourceWarning", "message": "1 orphaned resource"},
        ]
    }
    assert blocking_conditions(app(**status)) == ["ComparisonError: failed to list refs: authentication required"]
    assert blocking_conditions(app(**SYNCED_HEALTHY)) == []


def test_a_sync_error_blocks_only_once_argo_cd_stops_retrying():
    from ansible_collections.bespin.platform.plugins.module_utils.argocd_status import blocking_conditions

    error = {"type": "SyncError", "message": 'error updating application "root": connection reset by peer'}
    retrying = {"conditions": [error], "operationState": {"phase": "Running", "message": "Retrying attempt #2"}}
    spent = {"conditions": [error], "operationState": {"phase": "Failed", "message": "retry limit reached"}}
    assert blocking_conditions(app(**retrying)) == []
    assert blocking_conditions(app(**spent)) == [f"SyncError: {error['message']}"]


def test_a_status_computed_for_another_source_is_not_trusted():
    synced = {"status": "Synced", "comparedTo": {"source": {"repoURL": "https://git/old.git", "path": "apps"}}}
    stale = {"metadata": {"name": "root"}, "spec": {"source": {"repoURL": "https://git/new.git", "path": "apps"}},
             "status": {"sync": synced, "health": {"status": "Healthy"}}}  # fmt: skip
    assert summarize(stale)["sync_status"] == "Unknown"
    stale["spec"]["source"]["repoURL"] = "https://git/old.git"
    assert summarize(stale)["sync_status"] == "Synced"
