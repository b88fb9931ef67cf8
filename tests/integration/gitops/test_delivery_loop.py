"""The delivery loop of the seeds, acted by the real controllers: git -> Argo CD -> the cluster -> Argo Rollouts.

The sandbox runs the real Argo CD (application-controller, repo-server, server,
applicationset-controller) and Argo Rollouts controller for the workloads their
charts install, and serves the project's reference GitOps repository from its
git server. site.yml's stages up to Argo CD converge once for the module; every
test then acts as a user or CI would (a commit, a scale, a deletion) and reads
what the controllers did. The sandbox has no metrics and runs no container, so
the tests play the HPA only: they scale through the scale subresource, as the
HPA controller does.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import gitops_repo
import pytest
import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import ROOT, real_writes, run_module, sandbox_mark

from bespin_sandbox.accounting import CONTROLLERS, writes_since
from bespin_sandbox.faults import clear_faults, set_faults

pytestmark = pytest.mark.sandbox
ARGOCD = "argocd"
NOT_YET_STATUSES = (404, 429, 500, 502, 503, 504)
GROUP, VERSION = "argoproj.io", "v1alpha1"
PLATFORM_APPS = [
    "root",
    "petclinic",
    "karpenter-nodepools",
    "external-secrets-config",
    "monitoring-config",
    "customers",
    "vets",
    "visits",
]
INVENTORY = ["-i", os.path.join(ROOT, "inventories", "sandbox")]
SHORT_PAUSES = [("pause: {duration: 30s}", "pause: {duration: 5s}"), ("pause: {duration: 2m}", "pause: {duration: 8s}")]


def playbook(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run(["ansible-playbook", *args], capture_output=True, text=True, check=False, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def api(sandbox):
    return config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig))


@pytest.fixture(scope="module")
def converged(sandbox, api):
    """site.yml's Kubernetes stages, up to Argo CD, with its wait for every app (the sandbox inventory's)."""
    started = time.monotonic()
    result = playbook("site.yml", *INVENTORY, "--tags", "eks_addons,node_topology,argocd")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return {"output": result.stdout, "seconds": time.monotonic() - started}


def custom(api) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api)


def application(api, name: str) -> dict:
    return custom(api).get_namespaced_custom_object(GROUP, VERSION, ARGOCD, "applications", name)


def rollout(api, name: str = "was", namespace: str = "petclinic") -> dict:
    return custom(api).get_namespaced_custom_object(GROUP, VERSION, namespace, "rollouts", name)


def wait_for(what: str, predicate, timeout: float = 120, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except ApiException as exc:
            # Not there yet, or a fault the sandbox injected into the test's own read (429, 5xx): ask again.
            if exc.status not in NOT_YET_STATUSES:
                raise
            last = None
        except urllib3.exceptions.HTTPError:  # an injected connection reset
            last = None
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def synced_at(api, name: str, revision: str) -> bool:
    status = application(api, name).get("status") or {}
    return (
        (status.get("sync") or {}).get("revision") == revision
        and (status.get("sync") or {}).get("status") == "Synced"
        and (status.get("operationState") or {}).get("phase") == "Succeeded"
        and (status.get("operationState") or {}).get("syncResult", {}).get("revision") == revision
    )


def healthy(api, name: str) -> bool:
    status = application(api, name).get("status") or {}
    return (status.get("health") or {}).get("status") == "Healthy"


def scale(api, kind_path: str, namespace: str, name: str, replicas: int) -> None:
    """What the HPA controller does: a PATCH of the scale subresource."""
    group, plural = kind_path.split("/")
    body = {"spec": {"replicas": replicas}}
    if group == "apps":
        client.AppsV1Api(api).patch_namespaced_deployment_scale(name, namespace, body)
    else:
        custom(api).patch_namespaced_custom_object_scale(group, VERSION, namespace, plural, name, body)


def reconciled_at(api, name: str) -> str:
    return (application(api, name).get("status") or {}).get("reconciledAt", "")


def wait_reconciliations(api, name: str, count: int) -> None:
    seen = [reconciled_at(api, name)]
    for _reconciliation in range(count):
        seen.append(
            wait_for(f"a reconciliation of {name}", lambda: (r := reconciled_at(api, name)) != seen[-1] and r, 120)
        )


# --- the platform converged ----------------------------------------------------------


def test_every_app_is_synced_and_healthy_with_the_objects_from_git(converged, api):
    for name in PLATFORM_APPS:
        status = application(api, name).get("status") or {}
        assert (status.get("sync") or {}).get("status") == "Synced", (name, status.get("conditions"))
        assert (status.get("health") or {}).get("status") == "Healthy", (name, status.get("resources"))
    apps = client.AppsV1Api(api)
    assert rollout(api)["status"]["phase"] == "Healthy"
    assert apps.read_namespaced_deployment("web", "petclinic").status.available_replicas == 2
    for domain in ("customers", "vets", "visits"):
        assert apps.read_namespaced_deployment(f"{domain}-api", domain).status.available_replicas == 2
    assert custom(api).get_cluster_custom_object("karpenter.sh", "v1", "nodepools", "app")
    assert custom(api).get_namespaced_custom_object(
        "external-secrets.io", "v1", "petclinic", "externalsecrets", "petclinic-datasource"
    )
    assert custom(api).get_namespaced_custom_object(
        "monitoring.coreos.com", "v1", "petclinic", "servicemonitors", "was"
    )
    # The HPA (the real one in kube-controller-manager) raises the Rollout from 1 to its minimum.
    wait_for("the HPA's minimum", lambda: rollout(api)["spec"].get("replicas", 0) >= 2, 90)


# --- HPA-owned replicas ---------------------------------------------------------------


def test_the_hpas_replicas_survive_reconciliations_and_a_sync_a_control_app_does_not(converged, api):
    # A control app without the platform's protection: replicas in git, no RespectIgnoreDifferences.
    control = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "control"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "control"}},
            "template": {
                "metadata": {"labels": {"app": "control"}},
                "spec": {"containers": [{"name": "c", "image": "docker.io/library/busybox:1.37"}]},
            },
        },
    }
    revision = gitops_repo.commit(gitops_repo.write_files({"tests/control/deployment.yaml": yaml.safe_dump(control)}),
                                  "A control app")  # fmt: skip
    custom(api).create_namespaced_custom_object(
        GROUP,
        VERSION,
        ARGOCD,
        "applications",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Application",
            "metadata": {"name": "control"},
            "spec": {
                "project": "default",
                "source": {"repoURL": gitops_repo.repo_url(), "path": "tests/control", "targetRevision": "HEAD"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "control"},
                "syncPolicy": {"automated": {"selfHeal": True, "prune": True}, "syncOptions": ["CreateNamespace=true"]},
            },
        },
    )
    wait_for("the control app synced", lambda: synced_at(api, "control", revision), 120)

    scale(api, "argoproj.io/rollouts", "petclinic", "was", 5)
    scale(api, "apps/deployments", "control", "control", 5)
    wait_reconciliations(api, "petclinic", 2)
    assert rollout(api)["spec"]["replicas"] == 5

    # An unrelated commit to each app: both are synced again.
    touch = "\n  annotations: {bespin.io/touched: '1'}\n"
    changes = [
        gitops_repo.replace_in("apps/petclinic/web-service.yaml", "name: web\n", "name: web" + touch),
        gitops_repo.replace_in("tests/control/deployment.yaml", "name: control\n", "name: control" + touch),
    ]
    revision = gitops_repo.commit(lambda tree: [change(tree) for change in changes], "An unrelated change")
    wait_for("petclinic synced to the unrelated commit", lambda: synced_at(api, "petclinic", revision), 120)
    wait_for("control synced to the unrelated commit", lambda: synced_at(api, "control", revision), 120)
    assert rollout(api)["spec"]["replicas"] == 5, "the sync reverted the HPA's replicas"
    wait_for(
        "the control app's replicas reverted",
        lambda: client.AppsV1Api(api).read_namespaced_deployment("control", "control").spec.replicas == 2,
        30,
    )
    scale(api, "argoproj.io/rollouts", "petclinic", "was", 2)


# --- selfHeal and prune ---------------------------------------------------------------


def test_self_heal_restores_a_deleted_and_an_edited_object(converged, api):
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    before = core.read_namespaced_service("web", "petclinic").metadata.uid
    core.delete_namespaced_service("web", "petclinic")
    wait_for(
        "the web Service back", lambda: core.read_namespaced_service("web", "petclinic").metadata.uid != before, 90
    )
    image = apps.read_namespaced_deployment("web", "petclinic").spec.template.spec.containers[0].image
    apps.patch_namespaced_deployment(
        "web", "petclinic", {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "example/x:1"}]}}}}
    )
    wait_for(
        "the web image reverted",
        lambda: apps.read_namespaced_deployment("web", "petclinic").spec.template.spec.containers[0].image == image,
        90,
    )


def test_a_manifest_removed_from_git_is_pruned(converged, api):
    policy = client.PolicyV1Api(api)
    assert policy.read_namespaced_pod_disruption_budget("was", "petclinic")
    revision = gitops_repo.commit(
        lambda tree: (
            gitops_repo.remove("apps/petclinic/was-pdb.yaml")(tree),
            gitops_repo.replace_in("apps/petclinic/kustomization.yaml", "  - was-pdb.yaml\n", "")(tree),
        ),
        "Drop the WAS PodDisruptionBudget",
    )
    wait_for("petclinic synced", lambda: synced_at(api, "petclinic", revision), 120)

    def gone():
        try:
            policy.read_namespaced_pod_disruption_budget("was", "petclinic")
        except ApiException as exc:
            return exc.status == 404
        return False

    wait_for("the PodDisruptionBudget pruned", gone, 30)


# --- canary ---------------------------------------------------------------------------


def replica_sets(api, namespace: str = "petclinic") -> dict[str, int]:
    """pod-template-hash -> replicas, of the WAS ReplicaSets."""
    sets = client.AppsV1Api(api).list_namespaced_replica_set(namespace, label_selector="app.kubernetes.io/name=was")
    return {rs.metadata.labels["rollouts-pod-template-hash"]: rs.spec.replicas or 0 for rs in sets.items}


def test_a_new_image_goes_through_every_canary_step_to_promotion_and_an_abort_returns_to_stable(converged, api):
    shorten = [gitops_repo.replace_in("apps/petclinic/was-rollout.yaml", old, new) for old, new in SHORT_PAUSES]
    gitops_repo.commit(lambda tree: [change(tree) for change in shorten], "Shorter canary pauses for the sandbox")
    before = rollout(api)
    replicas = before["spec"]["replicas"]
    steps = before["spec"]["strategy"]["canary"]["steps"]
    stable_hash = before["status"]["stableRS"]
    pushed = time.monotonic()
    revision = gitops_repo.commit(
        gitops_repo.replace_in("apps/petclinic/kustomization.yaml", "newTag: 3.4.0", "newTag: 3.5.0"),
        "Release 3.5.0",
    )
    seen = {}  # step index -> canary replicas, at each pause
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        current = rollout(api)
        status = current.get("status") or {}
        if status.get("stableRS") not in (None, stable_hash) and status.get("phase") == "Healthy":
            break
        if status.get("pauseConditions") and status.get("currentPodHash") != stable_hash:
            seen.setdefault(status["currentStepIndex"], replica_sets(api).get(status["currentPodHash"], 0))
        time.sleep(0.5)
    promoted = rollout(api)
    assert promoted["status"]["phase"] == "Healthy", promoted["status"]
    assert promoted["status"]["stableRS"] == promoted["status"]["currentPodHash"] != stable_hash
    assert promoted["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":3.5.0")
    assert promoted["spec"]["replicas"] == replicas
    wait_for("petclinic synced to the release", lambda: synced_at(api, "petclinic", revision), 60)
    # Each pause step, with the weight the step before it set: the canary's share at that pause.
    weights = {index: steps[index - 1]["setWeight"] for index in range(1, len(steps)) if "pause" in steps[index]}
    assert sorted(seen) == sorted(weights), f"paused at steps {sorted(seen)}"
    for index, canary in seen.items():
        assert canary == math.ceil(replicas * weights[index] / 100), (index, canary, seen)
    print(f"commit to fully promoted: {time.monotonic() - pushed:.1f}s")

    # A second release, aborted at its first pause: the stable version serves again.
    stable_hash = promoted["status"]["stableRS"]
    gitops_repo.commit(
        gitops_repo.replace_in("apps/petclinic/kustomization.yaml", "newTag: 3.5.0", "newTag: 3.6.0"), "Release 3.6.0"
    )
    wait_for("the 3.6.0 canary paused", lambda: rollout(api).get("status", {}).get("pauseConditions"), 120, 0.5)
    custom(api).patch_namespaced_custom_object_status(
        GROUP, VERSION, "petclinic", "rollouts", "was", {"status": {"abort": True}}
    )
    aborted = wait_for(
        "the abort", lambda: (r := rollout(api))["status"].get("abort") and r["status"]["phase"] == "Degraded" and r, 60
    )
    assert aborted["status"]["stableRS"] == stable_hash
    sets = wait_for(
        "the canary scaled down",
        lambda: (s := replica_sets(api)).get(aborted["status"]["currentPodHash"]) == 0 and s,
        60,
    )
    assert sets[stable_hash] == replicas
    # Back to the released version in git: healthy again, nothing new rolled out.
    revision = gitops_repo.commit(
        gitops_repo.replace_in("apps/petclinic/kustomization.yaml", "newTag: 3.6.0", "newTag: 3.5.0"), "Revert 3.6.0"
    )
    wait_for("petclinic synced to the revert", lambda: synced_at(api, "petclinic", revision), 120)
    wait_for("the Rollout healthy on 3.5.0", lambda: rollout(api)["status"].get("phase") == "Healthy", 60)
    assert rollout(api)["status"]["stableRS"] == stable_hash


# --- failures -------------------------------------------------------------------------


def test_a_manifest_the_api_server_refuses_fails_the_wait_naming_it(converged, api):
    """The wait ends on the failed sync itself, not on its timeout. Argo CD retries an automated sync's failures
    (by default 5 times, 5 s growing to 80 s); the app allows one quick retry so that the failure comes soon."""
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "refused"},
           "spec": {"ports": [{"port": 70000}], "selector": {"app": "x"}}}  # fmt: skip
    gitops_repo.commit(gitops_repo.write_files({"tests/refused/service.yaml": yaml.safe_dump(bad)}), "A bad manifest")
    custom(api).create_namespaced_custom_object(
        GROUP, VERSION, ARGOCD, "applications",
        {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Application", "metadata": {"name": "refused"},
         "spec": {"project": "default",
                  "source": {"repoURL": gitops_repo.repo_url(), "path": "tests/refused", "targetRevision": "HEAD"},
                  "destination": {"server": "https://kubernetes.default.svc", "namespace": "refused"},
                  "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"],
                                 "retry": {"limit": 1, "backoff": {"duration": "1s", "factor": 1}}}}},
    )  # fmt: skip
    result = run_module("bespin.platform.argocd_app_wait", {"names": ["refused"], "namespace": ARGOCD, "timeout": 180})
    assert result.get("failed"), result
    assert result["msg"].startswith("The last sync of refused failed"), result["msg"]
    assert "Service/refused/refused" in result["msg"], result["msg"]
    assert "70000" in result["msg"], result["msg"]


def test_the_loop_converges_under_kubernetes_faults(converged, api, sandbox):
    set_faults(sandbox.layout.faults_file, "kubernetes", {"throttling": 0.04, "error500": 0.03, "reset": 0.03}, seed=7)
    try:
        revision = gitops_repo.commit(
            gitops_repo.replace_in("k8s/overlays/vets/kustomization.yaml", "newTag: 3.4.0", "newTag: 3.4.1"),
            "vets 3.4.1",
        )
        # Under faults the controllers back off between failed calls: 88 s and 178 s on two runs here.
        wait_for("vets synced under faults", lambda: synced_at(api, "vets", revision) and healthy(api, "vets"), 480, 2)
    finally:
        clear_faults(sandbox.layout.faults_file)
    image = client.AppsV1Api(api).read_namespaced_deployment("vets-api", "vets").spec.template.spec.containers[0].image
    assert image.endswith(":3.4.1")


def test_check_mode_and_a_rerun_write_nothing_while_the_controllers_write_on(converged, sandbox):
    mark = sandbox_mark()
    check = playbook("playbooks/argocd.yml", *INVENTORY, "--check")
    assert check.returncode == 0, check.stdout[-4000:]
    rerun = playbook("playbooks/argocd.yml", *INVENTORY)
    assert rerun.returncode == 0, rerun.stdout[-4000:]
    assert "changed=0" in rerun.stdout
    assert real_writes(mark) == 0
    own = [w for w in writes_since(sandbox.layout.writes_dir, mark, controllers=True) if w.service == CONTROLLERS]
    assert own, "the controllers wrote nothing meanwhile: the accounting cannot have told them apart"


def test_a_wrong_repository_token_fails_the_role_naming_the_repository(converged, sandbox):
    """A user pointing the root app at their repository with a wrong token."""
    wrong = "wrong-token-0b5e1c"
    token = (Path(os.environ["BESPIN_CREDENTIALS_DIR"]) / "git-token").read_text().strip()
    created = subprocess.run(["sandbox", "git", "create", "team/platform"], capture_output=True, text=True, check=True)
    url = created.stdout.strip()
    settings = {
        "argocd_repositories": [{"name": "team", "url": url, "username": "git", "password": wrong}],
        "argocd_root_app": {"enabled": True, "name": "root", "project": "default", "repo_url": url,
                            "path": "bootstrap-manifests", "target_revision": "HEAD", "recurse": True},
        "argocd_wait_timeout": 240,
    }  # fmt: skip
    result = playbook("playbooks/argocd.yml", *INVENTORY, "-e", json.dumps(settings))
    assert result.returncode != 0, result.stdout[-3000:]
    assert f"cannot compare or sync root (from {url})" in result.stdout, result.stdout[-3000:]
    assert wrong not in result.stdout + result.stderr
    assert token not in result.stdout + result.stderr
