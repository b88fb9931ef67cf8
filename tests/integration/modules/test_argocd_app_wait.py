"""bespin.platform.argocd_app_wait against the sandbox's kube-apiserver.

No Argo CD is installed here (only its CRDs, generated from the pinned Argo CD
module's API types), so no controller acts and the tests play its part: they
create Applications and write their status the way Argo CD does, as a plain
field of the object (the Application CRD has no status subresource).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from bespin_sandbox.faults import clear_faults, set_faults
from bespin_sandbox.tools import argo_bin_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import run_module, run_module_many, sandbox_mark, sandbox_writes

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.argocd_app_wait"
ROOT = Path(__file__).resolve().parents[3]
CRDS = argo_bin_dir().parent / "crds" / "argo-cd"
NAMESPACE = "argocd-wait"
GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"

SYNCED_HEALTHY = {"sync": {"status": "Synced", "revision": "6f1d5a0"}, "health": {"status": "Healthy"}}
PROGRESSING = {"sync": {"status": "OutOfSync"}, "health": {"status": "Progressing"}}


@pytest.fixture(scope="module")
def api(sandbox):
    api_client = config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig))
    extensions = client.ApiextensionsV1Api(api_client)
    for crd in [yaml.safe_load(path.read_text()) for path in sorted(CRDS.glob("*.yaml"))]:
        try:
            extensions.create_custom_resource_definition(crd)
        except ApiException as exc:
            if exc.status != 409:
                raise
    for _attempt in range(60):
        established = [
            c
            for c in extensions.list_custom_resource_definition().items
            if c.metadata.name == "applications.argoproj.io"
            and any(cond.type == "Established" and cond.status == "True" for cond in c.status.conditions or [])
        ]
        if established:
            break
        time.sleep(1)
    core = client.CoreV1Api(api_client)
    try:
        core.create_namespace({"metadata": {"name": NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    return client.CustomObjectsApi(api_client)


def put_app(api, name, status=None, labels=None):
    """Create (or replace) an Application with this status, as Argo CD would have written it."""
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Application",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels or {}},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example.com/gitops.git", "path": name, "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
        },
    }
    if status is not None:
        body["status"] = status
    try:
        api.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, name)
    except ApiException as exc:
        if exc.status != 404:
            raise
    api.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)


def set_status(api, name, status):
    api.patch_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, name, {"status": status})


def test_synced_and_healthy_apps_are_ready_at_once_and_nothing_is_written(api):
    put_app(api, "ready-one", SYNCED_HEALTHY)
    mark = sandbox_mark()
    result = run_module(MODULE, {"names": ["ready-one"], "namespace": NAMESPACE, "timeout": 30})
    assert result["ready"] is True and result["changed"] is False and not result.get("failed")
    assert result["applications"][0]["revision"] == "6f1d5a0"
    assert "kubernetes" not in sandbox_writes(mark)


def test_waits_until_an_out_of_sync_app_becomes_synced(api):
    put_app(api, "catching-up", PROGRESSING)
    # Argo CD's part: the app syncs a few seconds after the wait began.
    later = threading.Timer(4.0, set_status, args=(api, "catching-up", SYNCED_HEALTHY))
    later.start()
    try:
        result = run_module(MODULE, {"names": ["catching-up"], "namespace": NAMESPACE, "timeout": 120})
    finally:
        later.join()
    assert result["ready"] is True, result
    assert result["applications"][0]["sync_status"] == "Synced"
    assert result["applications"][0]["health_status"] == "Healthy"


def test_a_failed_sync_fails_at_once_naming_each_bad_resource_and_the_message(api):
    put_app(
        api,
        "broken",
        {
            "sync": {"status": "OutOfSync"},
            "health": {"status": "Degraded"},
            "resources": [
                {
                    "kind": "Deployment",
                    "namespace": "petclinic",
                    "name": "was",
                    "status": "OutOfSync",
                    "health": {"status": "Degraded", "message": "Deployment exceeded its progress deadline"},
                },
                {
                    "kind": "Service",
                    "namespace": "petclinic",
                    "name": "was",
                    "status": "Synced",
                    "health": {"status": "Healthy"},
                },
                {
                    "kind": "ConfigMap",
                    "namespace": "petclinic",
                    "name": "settings",
                    "status": "OutOfSync",
                    "health": {"status": "Missing"},
                },
            ],
            # As the real CRD requires it: the operation and when it started, beside its phase.
            "operationState": {
                "operation": {"sync": {"revision": "6f1d5a0"}},
                "phase": "Failed",
                "message": "one or more objects failed to apply",
                "startedAt": "2026-12-02T00:00:00Z",
            },
        },
    )
    result = run_module(MODULE, {"names": ["broken"], "namespace": NAMESPACE, "timeout": 600})
    assert result["failed"] is True
    message = result["msg"]
    assert message.startswith("The last sync of broken failed")
    assert "one or more objects failed to apply" in message
    assert "Deployment/petclinic/was: OutOfSync, Degraded (Deployment exceeded its progress deadline)" in message
    assert "ConfigMap/petclinic/settings: OutOfSync, Missing" in message
    assert "Service/petclinic/was" not in message


def test_times_out_with_the_status_of_each_app_that_is_not_ready(api):
    put_app(api, "stuck", PROGRESSING)
    put_app(api, "fine", SYNCED_HEALTHY)
    result = run_module(MODULE, {"names": ["stuck", "fine"], "namespace": NAMESPACE, "timeout": 3})
    assert result["failed"] is True and result["ready"] is False
    assert result["msg"] == "Not ready after 3 s: stuck: sync OutOfSync, health Progressing"
    assert [a["name"] for a in result["applications"]] == ["stuck", "fine"]


def test_a_missing_app_is_named(api):
    put_app(api, "present", SYNCED_HEALTHY)
    result = run_module(MODULE, {"names": ["present", "absent"], "namespace": NAMESPACE, "timeout": 2})
    assert result["failed"] is True
    assert result["missing"] == ["absent"]
    assert "absent: no such Application" in result["msg"]


def test_a_label_selector_waits_for_every_matching_app(api):
    put_app(api, "petclinic-web", SYNCED_HEALTHY, labels={"app.kubernetes.io/part-of": "petclinic"})
    put_app(api, "petclinic-was", PROGRESSING, labels={"app.kubernetes.io/part-of": "petclinic"})
    put_app(api, "other", PROGRESSING, labels={"app.kubernetes.io/part-of": "other"})
    later = threading.Timer(3.0, set_status, args=(api, "petclinic-was", SYNCED_HEALTHY))
    later.start()
    try:
        result = run_module(
            MODULE, {"label_selector": "app.kubernetes.io/part-of=petclinic", "namespace": NAMESPACE, "timeout": 120}
        )
    finally:
        later.join()
    assert result["ready"] is True, result
    assert [a["name"] for a in result["applications"]] == ["petclinic-was", "petclinic-web"]

    nothing = run_module(
        MODULE, {"label_selector": "app.kubernetes.io/part-of=none", "namespace": NAMESPACE, "timeout": 2}
    )
    assert nothing["failed"] is True and "label selector" in nothing["msg"]


def test_an_app_without_status_yet_is_reported_unknown(api):
    put_app(api, "fresh")
    result = run_module(MODULE, {"names": ["fresh"], "namespace": NAMESPACE, "timeout": 2})
    assert result["failed"] is True
    assert result["msg"] == "Not ready after 2 s: fresh: sync Unknown, health Unknown"


@pytest.fixture
def kube_faults(sandbox):
    """Sets a kubernetes fault plan in the sandbox (the library `sandbox faults set` uses); cleared afterwards."""
    plan_file = sandbox.layout.faults_file
    yield lambda seed, **rates: set_faults(plan_file, "kubernetes", rates, seed=seed)
    clear_faults(plan_file)


def faulted_application_reads(sandbox):
    """How many reads of Applications the sandbox's fault proxy has answered with a fault so far."""
    log = sandbox.layout.log_dir / "kube-fault-proxy.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return sum(1 for line in lines if line.startswith("fault ") and "/applications" in line)


def test_throttling_server_errors_and_resets_are_retried_between_polls(sandbox, api, kube_faults):
    put_app(api, "under-faults", PROGRESSING)
    before = faulted_application_reads(sandbox)
    kube_faults(11, throttling=0.2, error500=0.1, error503=0.1, reset=0.1)
    result = run_module(MODULE, {"names": ["under-faults"], "namespace": NAMESPACE, "timeout": 8})
    clear_faults(sandbox.layout.faults_file)
    # Every poll got its answer in the end: the wait ran to its timeout with the app's real status.
    assert result["msg"] == "Not ready after 8 s: under-faults: sync OutOfSync, health Progressing", result
    assert faulted_application_reads(sandbox) > before, "no read met a fault: the test proved nothing"


def test_check_mode_returns_the_current_status_without_waiting_or_writing(api):
    put_app(api, "in-progress", PROGRESSING)
    mark = sandbox_mark()
    result = run_module(MODULE, {"names": ["in-progress"], "namespace": NAMESPACE, "timeout": 600}, check=True)
    assert not result.get("failed") and result["ready"] is False and result["changed"] is False
    assert result["applications"][0]["health_status"] == "Progressing"
    assert "kubernetes" not in sandbox_writes(mark)


def test_bad_input_fails_before_reading_naming_the_field(api):
    cases = [
        ({"names": ["root"], "timeout": 0}, "timeout"),
        ({"names": ["root"], "label_selector": "a=b"}, "mutually exclusive"),
        ({}, "one of the following is required"),
        ({"names": []}, "names"),
        ({"names": ["Root_App"]}, "names[0]"),
        ({"names": ["root"], "namespace": "Argo CD"}, "namespace"),
        ({"names": ["root"], "health_status": ["Fine"]}, "health_status"),
        ({"names": ["root"], "sync_status": ["InSync"]}, "sync_status"),
        ({"label_selector": "  "}, "label_selector"),
    ]
    results = run_module_many(MODULE, [args for args, _field in cases])
    for (args, field), result in zip(cases, results, strict=True):
        assert result.get("failed") is True, (args, result)
        assert field in result["msg"], (args, result["msg"])
