"""k8s_objects against the sandbox: a Namespace, a ConfigMap, a Secret, a CRD and one of its resources in one call.

Check mode first (predicted creates, nothing written), then for real; reruns, updates, diffs with masked
Secret data, waits, bad input, API errors, a retried server error and removal, each counting the sandbox's
writes and reading the cluster back with kubectl.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import real_writes, run_module, run_module_verbose, sandbox_mark, sandbox_writes

from bespin_sandbox.accounting import writes_since
from bespin_sandbox.faults import clear_faults, injected, set_faults

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.k8s_objects"
NAMESPACE = "k8s-objects-test"
GROUP = "objects.bespin.test"
CRD_NAME = f"gadgets.{GROUP}"
HIDDEN_VALUE = "s3cr3t-value-k8s-objects"
NEW_HIDDEN_VALUE = "n3w-s3cr3t-value-k8s-objects"

NAMESPACE_OBJECT = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
CONFIG_MAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "settings", "namespace": NAMESPACE, "labels": {"app.kubernetes.io/name": "shop"}},
    "data": {"mode": "blue", "level": "3"},
}
OTHER_CONFIG_MAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "features", "namespace": NAMESPACE},
    "data": {"search": "on"},
}
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "db", "namespace": NAMESPACE},
    "type": "Opaque",
    "stringData": {"token": HIDDEN_VALUE},
}
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": CRD_NAME},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }
        ],
    },
}
GADGET = {
    "apiVersion": f"{GROUP}/v1",
    "kind": "Gadget",
    "metadata": {"name": "first", "namespace": NAMESPACE},
    "spec": {"size": 3, "ports": [{"name": "http", "port": 80}], "enabled": True},
}


def objects(**replace) -> list:
    """The whole list, in order; replace=dict(secret=...) swaps one element."""
    chosen = {"namespace": NAMESPACE_OBJECT, "config_map": CONFIG_MAP, "other_config_map": OTHER_CONFIG_MAP,
              "secret": SECRET, "crd": {"definition": CRD, "wait": "Established"}, "gadget": GADGET}  # fmt: skip
    chosen.update(replace)
    return copy.deepcopy(list(chosen.values()))


def kubectl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, check=check)


def read(kind: str, name: str, namespace: str | None = NAMESPACE) -> dict | None:
    found = kubectl(
        "get",
        kind,
        name,
        *(["--namespace", namespace] if namespace else []),
        "-o",
        "json",
        "--show-managed-fields",
        check=False,
    )
    return json.loads(found.stdout) if found.returncode == 0 else None


def operations(result: dict) -> list[tuple[str, str]]:
    return [(entry["kind"], entry["operation"]) for entry in result["objects"]]


def writes_by_verb(mark: str) -> dict[str, int]:
    return sandbox_writes(mark).get("kubernetes", {})


@pytest.fixture(scope="module")
def created(sandbox):
    """Everything created by the module (check mode first); removed by the last test."""
    mark = sandbox_mark()
    predicted = run_module(MODULE, {"objects": objects()}, check=True)
    assert predicted.get("failed") is not True, predicted
    assert real_writes(mark) == 0, "check mode wrote"
    assert read("namespace", NAMESPACE, None) is None and read("crd", CRD_NAME, None) is None
    result = run_module(MODULE, {"objects": objects()})
    return predicted, result


def test_check_mode_predicts_every_create_without_asking_about_what_does_not_exist_yet(created):
    predicted, _result = created
    assert predicted["changed"] is True
    assert operations(predicted) == [
        ("Namespace", "create"),
        ("ConfigMap", "create"),
        ("ConfigMap", "create"),
        ("Secret", "create"),
        ("CustomResourceDefinition", "create"),
        ("Gadget", "create"),
    ]
    assert [(e["name"], e["namespace"]) for e in predicted["objects"]] == [
        (NAMESPACE, ""),
        ("settings", NAMESPACE),
        ("features", NAMESPACE),
        ("db", NAMESPACE),
        (CRD_NAME, ""),
        ("first", NAMESPACE),
    ]
    assert HIDDEN_VALUE not in json.dumps(predicted)


def test_the_real_run_creates_everything_and_waits_for_the_crd(created):
    _predicted, result = created
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert [op for _kind, op in operations(result)] == ["create"] * 6
    config = read("configmap", "settings")
    assert config["data"] == CONFIG_MAP["data"]
    secret = read("secret", "db")
    assert base64.b64decode(secret["data"]["token"]).decode() == HIDDEN_VALUE
    # Server-side apply: no last-applied copy of the Secret anywhere but its data.
    assert not any("last-applied" in key for key in (secret["metadata"].get("annotations") or {}))
    assert {f["manager"] for f in secret["metadata"]["managedFields"]} == {"bespin.platform"}
    conditions = read("crd", CRD_NAME, None)["status"]["conditions"]
    assert {"type": "Established", "status": "True"} in [{k: c[k] for k in ("type", "status")} for c in conditions]
    assert read("gadget", "first")["spec"] == GADGET["spec"]


def test_a_rerun_changes_nothing_and_writes_nothing(created):
    mark = sandbox_mark()
    again = run_module(MODULE, {"objects": objects()})
    assert again["changed"] is False, again
    assert [op for _kind, op in operations(again)] == ["none"] * 6
    assert all(entry["differences"] == [] for entry in again["objects"])
    assert real_writes(mark) == 0


def test_a_changed_field_updates_only_that_object_and_names_it(created):
    changed = copy.deepcopy(CONFIG_MAP)
    changed["data"]["mode"] = "green"
    gadget = copy.deepcopy(GADGET)
    gadget["spec"]["ports"][0]["port"] = 8080
    mark = sandbox_mark()
    predicted = run_module(MODULE, {"objects": objects(config_map=changed, gadget=gadget)}, check=True)
    assert real_writes(mark) == 0
    result = run_module(MODULE, {"objects": objects(config_map=changed, gadget=gadget)})
    for outcome in (predicted, result):
        assert outcome["changed"] is True, outcome
        updated = [(e["kind"], e["name"], e["differences"]) for e in outcome["objects"] if e["operation"] != "none"]
        assert updated == [("ConfigMap", "settings", ["data.mode"]), ("Gadget", "first", ["spec.ports[0].port"])]
    # The check-mode run validated both with dry runs; the real one wrote both, nothing else.
    assert writes_by_verb(mark) == {"patch": 2, "patch (dry-run)": 2}, writes_by_verb(mark)
    assert read("configmap", "settings")["data"]["mode"] == "green"
    assert read("gadget", "first")["spec"]["ports"] == [{"name": "http", "port": 8080}]
    restored = run_module(MODULE, {"objects": objects()})
    assert restored["changed"] is True


def test_diff_mode_masks_secret_data(created):
    changed = copy.deepcopy(SECRET)
    changed["stringData"]["token"] = NEW_HIDDEN_VALUE
    args = {"objects": objects(secret=changed)}
    mark = sandbox_mark()
    predicted = run_module(MODULE, args, check=True, diff=True)
    assert real_writes(mark) == 0
    assert [(e["kind"], e["differences"]) for e in predicted["objects"] if e["operation"] == "update"] == [
        ("Secret", ["stringData.token"])
    ]
    diff = predicted["diff"]
    assert (diff["before"][0]["stringData"], diff["after"][0]["stringData"]) == (
        {"token": "(masked)"},
        {"token": "(masked, changed)"},
    )
    text = json.dumps(predicted)
    assert HIDDEN_VALUE not in text and NEW_HIDDEN_VALUE not in text
    # Nor in what ansible prints at -vvv, the module's arguments included.
    output = run_module_verbose(MODULE, args, "--check", "--diff")
    assert HIDDEN_VALUE not in output and NEW_HIDDEN_VALUE not in output
    assert "k8s-objects-test" in output  # the names are not masked with the values

    result = run_module(MODULE, args, diff=True)
    assert result["changed"] is True and NEW_HIDDEN_VALUE not in json.dumps(result)
    assert base64.b64decode(read("secret", "db")["data"]["token"]).decode() == NEW_HIDDEN_VALUE
    assert run_module(MODULE, {"objects": objects()})["changed"] is True


def test_a_transient_server_error_is_retried(sandbox, created):
    plan_file = sandbox.layout.faults_file
    changed = copy.deepcopy(CONFIG_MAP)
    changed["data"]["level"] = "4"
    before = injected(plan_file)["kubernetes error500"]
    only = rf"^PATCH /api/v1/namespaces/{NAMESPACE}/configmaps/"
    set_faults(plan_file, "kubernetes", {"error500": 1.0}, only=only, times=1)
    try:
        result = run_module(MODULE, {"objects": objects(config_map=changed)})
        met = injected(plan_file)["kubernetes error500"] - before
    finally:
        clear_faults(plan_file)
    assert met == 1, f"the sandbox failed the ConfigMap write {met} times, not once"
    assert result.get("failed") is not True, result
    assert [e["differences"] for e in result["objects"] if e["operation"] == "update"] == [["data.level"]]
    assert read("configmap", "settings")["data"]["level"] == "4"
    run_module(MODULE, {"objects": objects()})


def test_a_permanent_error_names_the_object_and_what_was_written(created):
    changed = copy.deepcopy(OTHER_CONFIG_MAP)
    changed["data"]["search"] = "off"
    invalid = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "broken", "namespace": NAMESPACE},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
    }
    mark = sandbox_mark()
    predicted = run_module(MODULE, {"objects": [changed, invalid]}, check=True)
    assert predicted.get("failed") is True, predicted
    assert predicted["msg"].startswith(f"Deployment {NAMESPACE}/broken: 422 Invalid "), predicted["msg"]
    assert "written before the failure: nothing" in predicted["msg"]
    assert real_writes(mark) == 0, "the check-mode dry runs wrote"
    result = run_module(MODULE, {"objects": [changed, invalid]})
    assert result.get("failed") is True, result
    assert result["msg"].startswith(f"Deployment {NAMESPACE}/broken: 422 Invalid "), result["msg"]
    assert "spec.selector" in result["msg"]
    assert result["written"] == [f"ConfigMap {NAMESPACE}/features"]
    assert result["msg"].endswith(f"written before the failure: ConfigMap {NAMESPACE}/features")
    assert read("deployment", "broken") is None
    run_module(MODULE, {"objects": objects()})


def test_a_wait_that_is_never_met_fails_naming_the_object(created):
    mark = sandbox_mark()
    result = run_module(MODULE, {"objects": [{"definition": CONFIG_MAP, "wait": "Ready"}], "wait_timeout": 2})
    assert result.get("failed") is True, result
    assert f"not ready after 2 s: ConfigMap {NAMESPACE}/settings Ready" in result["msg"], result["msg"]
    assert result["msg"].endswith("written before the failure: nothing")
    assert real_writes(mark) == 0


def test_a_kind_nothing_serves_fails_before_any_write():
    mark = sandbox_mark()
    unknown = {"apiVersion": f"{GROUP}/v1", "kind": "Gizmo", "metadata": {"name": "g", "namespace": NAMESPACE}}
    result = run_module(MODULE, {"objects": [{**OTHER_CONFIG_MAP, "data": {"x": "y"}}, unknown]})
    assert result.get("failed") is True
    assert result["msg"].startswith("objects[1].kind Gizmo is not served by the API"), result["msg"]
    assert real_writes(mark) == 0


def problem_fields(message: str) -> list[str]:
    return [problem.split(" ", maxsplit=1)[0].rstrip(":") for problem in message.split("; ")]


def test_bad_input_fails_naming_every_field_before_any_request(sandbox):
    bad = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Not_A_Namespace"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok", "namespace": "x y"}, "data": {"n": 5}},
        {"definition": {**SECRET, "data": {"k": "not base64!"}}, "state": "gone", "wait": "Est ablished"},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "-bad-"}},
        "not a mapping",
    ]
    mark = sandbox_mark()
    result = run_module(MODULE, {"objects": bad, "wait_timeout": 0})
    assert result.get("failed") is True, result
    assert problem_fields(result["msg"]) == [
        "objects[0].metadata.name",
        "objects[1].metadata.namespace",
        "objects[1].data.n",
        "objects[2].state",
        "objects[2].wait",
        "objects[2].definition.data.k",
        "objects[3].metadata.name",
        "objects[4]",
        "wait_timeout",
    ], result["msg"]
    assert real_writes(mark) == 0


def test_one_element_absent_deletes_only_it_and_a_rerun_changes_nothing(created):
    args = {"objects": objects(other_config_map={"definition": OTHER_CONFIG_MAP, "state": "absent"})}
    mark = sandbox_mark()
    predicted = run_module(MODULE, args, check=True)
    assert [(e["name"], e["operation"]) for e in predicted["objects"] if e["operation"] != "none"] == [
        ("features", "delete")
    ]
    assert real_writes(mark) == 0 and read("configmap", "features") is not None
    result = run_module(MODULE, args)
    assert result["changed"] is True and read("configmap", "features") is None
    assert writes_by_verb(mark) == {"delete": 1}
    mark = sandbox_mark()
    again = run_module(MODULE, args)
    assert again["changed"] is False and real_writes(mark) == 0


def test_state_absent_removes_everything_last_first_and_a_rerun_changes_nothing(sandbox, created):
    mark = sandbox_mark()
    predicted = run_module(MODULE, {"objects": objects(), "state": "absent"}, check=True)
    assert [op for _kind, op in operations(predicted)] == ["delete", "delete", "none", "delete", "delete", "delete"]
    assert real_writes(mark) == 0
    result = run_module(MODULE, {"objects": objects(), "state": "absent"})
    assert result.get("failed") is not True, result
    assert operations(result) == operations(predicted)
    deletes = [w.path for w in writes_since(sandbox.layout.writes_dir, mark) if w.verb == "delete"]
    # The custom resource before its CRD, the namespace last.
    assert deletes[0].endswith("/gadgets/first") and deletes[-1] == f"/api/v1/namespaces/{NAMESPACE}", deletes
    assert read("crd", CRD_NAME, None) is None or read("crd", CRD_NAME, None)["metadata"].get("deletionTimestamp")
    mark = sandbox_mark()
    again = run_module(MODULE, {"objects": objects(), "state": "absent"})
    assert again.get("failed") is not True, again
    assert again["changed"] is False and real_writes(mark) == 0, again
