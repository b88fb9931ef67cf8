"""The delivery loop's two figures, acted by the real Argo CD and Argo Rollouts the sandbox runs.

- seconds from the end of site.yml's Argo CD stage (run without its wait) to every
  Application (the root app's children and the ApplicationSet's apps) Synced and Healthy;
- seconds from a pushed commit of a new image tag to the WAS Rollout fully promoted, less
  the canary's pauses (shortened first by a commit of their own, as the tests do).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from kubernetes import client, config

from bespin_sandbox.services.git import REFERENCE_REPOSITORY, GitService

from .measure import run_measured
from .sandbox import BIN, BenchSandbox

GROUP, VERSION, ARGOCD = "argoproj.io", "v1alpha1", "argocd"
ROLLOUT_FILE = "apps/petclinic/was-rollout.yaml"
IMAGE_FILE = "apps/petclinic/kustomization.yaml"
SHORT_PAUSES = {"30s": "5s", "2m": "8s"}


def _commit(git_service: GitService, change) -> None:
    with tempfile.TemporaryDirectory(prefix="bespin-bench-ci-") as work:
        git_service.git_command(Path(work))("clone", "--quiet", git_service.clone_url(REFERENCE_REPOSITORY), "repo")
        tree = Path(work) / "repo"
        git = git_service.git_command(tree)
        change(tree)
        git("commit", "--quiet", "--all", "-m", "bench")
        git("push", "--quiet", "origin", "HEAD:refs/heads/main")


def _apps_ready(api: client.CustomObjectsApi, expected: int) -> bool:
    apps = api.list_namespaced_custom_object(GROUP, VERSION, ARGOCD, "applications")["items"]
    statuses = [((a.get("status") or {}).get("sync") or {}, (a.get("status") or {}).get("health") or {}) for a in apps]
    return len(apps) >= expected and all(
        s.get("status") == "Synced" and h.get("status") == "Healthy" for s, h in statuses
    )


def _wait(predicate, timeout_s: float, what: str) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if predicate():
            return time.perf_counter() - started
        time.sleep(0.25)
    raise RuntimeError(f"delivery: {what} not reached in {timeout_s:.0f} s")


def delivery(sandbox: BenchSandbox, root: Path, topology_file: Path, expected_apps: int) -> dict:
    sandbox.up(topology_file)
    sandbox.reset()
    env = sandbox.client_env()
    stage = run_measured(
        [str(BIN / "ansible-playbook"), "-i", "inventories/sandbox", "site.yml",
         "--tags", "eks_addons,node_topology,argocd", "-e", "argocd_wait_for_sync=false"],
        env, str(root),
    )  # fmt: skip
    api = client.CustomObjectsApi(config.new_client_from_config(config_file=env["KUBECONFIG"]))
    synced_s = _wait(lambda: _apps_ready(api, expected_apps), 900, "every app Synced and Healthy")

    git_service = GitService(sandbox.layout)

    def shorten(tree: Path) -> None:
        text = (tree / ROLLOUT_FILE).read_text()
        for old, new in SHORT_PAUSES.items():
            text = text.replace(f"duration: {old}}}", f"duration: {new}}}")
        (tree / ROLLOUT_FILE).write_text(text)

    _commit(git_service, shorten)

    def rollout() -> dict:
        return api.get_namespaced_custom_object(GROUP, VERSION, "petclinic", "rollouts", "was")

    def pauses() -> int:
        steps = rollout()["spec"]["strategy"]["canary"]["steps"]
        return sum(int(re.sub(r"\D", "", step["pause"]["duration"])) for step in steps if "pause" in step)

    _wait(lambda: pauses() < 30, 300, "the shorter pauses synced")
    stable, paused_s = rollout()["status"]["stableRS"], pauses()

    def bump(tree: Path) -> None:
        text = (tree / IMAGE_FILE).read_text()
        (tree / IMAGE_FILE).write_text(re.sub(r"newTag: 3\.4\.0", "newTag: 3.5.0", text, count=1))

    _commit(git_service, bump)
    promoted_s = _wait(
        lambda: (
            (s := rollout().get("status") or {}).get("stableRS") not in (None, stable) and s.get("phase") == "Healthy"
        ),
        600,
        "the Rollout fully promoted",
    )
    return {
        "argocd_stage_s": round(stage.wall_s, 1),
        "apps": expected_apps,
        "synced_after_stage_s": round(synced_s, 1),
        "promoted_s": round(promoted_s, 1),
        "pauses_s": paused_s,
        "promoted_less_pauses_s": round(promoted_s - paused_s, 1),
    }
