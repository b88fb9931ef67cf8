"""A role's Helm install when Helm loses its last write: the same run leaves the release deployed.

helm exits 0 when only the write recording the release as deployed fails (it logs "failed
to record the release"), so the release stays pending-install and the next run would undo
it. The roles' helm_release module keeps such a revision right after the install (a
rollback onto itself). Here the sandbox fails exactly that write, once, during eks_addons'
Helm add-on task (tasks/helm_release.yml, the file every Helm add-on goes through).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import ROOT, changed_tasks, real_writes, sandbox_mark

from bespin_sandbox.faults import clear_faults, injected, set_faults

pytestmark = pytest.mark.sandbox
NAMESPACE = "lost-record"
RELEASE = "lost-record-metrics"
RECORD_UPDATE = rf"^PUT /api/v1/namespaces/{NAMESPACE}/secrets/sh[.]helm[.]release[.]v1[.]{RELEASE}[.]"
PLAYBOOK = [
    {
        "name": "One Helm add-on through the eks_addons role",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "The add-on's release",
                "ansible.builtin.include_role": {"name": "bespin.platform.eks_addons", "tasks_from": "helm_release"},
                "vars": {
                    "eks_addons_chart_repository_url": "{{ lookup('ansible.builtin.env', 'BESPIN_CHART_REPO_URL') }}",
                    "eks_addons_release": {
                        "key": "metrics_server",
                        "value": {
                            "chart": "metrics-server",
                            "version": "3.13.0",
                            "repository": "https://kubernetes-sigs.github.io/metrics-server/",
                            "release": RELEASE,
                            "namespace": NAMESPACE,
                            "values": {},
                        },
                    },
                },
            }
        ],
    }
]


def helm(*args: str) -> str:
    return subprocess.run(["helm", *args, "--namespace", NAMESPACE], capture_output=True, text=True, check=True).stdout


def run_role(tmp_path: Path) -> subprocess.CompletedProcess:
    playbook = tmp_path / "helm_release.yml"
    playbook.write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_STDOUT_CALLBACK": "default"}  # fmt: skip
    return subprocess.run(["ansible-playbook", str(playbook)], capture_output=True, text=True, cwd=ROOT, env=env,
                          check=False)  # fmt: skip


@pytest.fixture
def release_cleanup(sandbox):
    yield
    subprocess.run(["helm", "uninstall", RELEASE, "--namespace", NAMESPACE, "--wait"], capture_output=True, check=False)


def test_the_run_that_installed_it_records_it_deployed(sandbox, tmp_path, release_cleanup):
    plan_file = sandbox.layout.faults_file
    before = injected(plan_file)["kubernetes error500"]
    set_faults(plan_file, "kubernetes", {"error500": 1.0}, only=RECORD_UPDATE, times=1)
    try:
        first = run_role(tmp_path)
        met = injected(plan_file)["kubernetes error500"] - before
    finally:
        clear_faults(plan_file)
    assert first.returncode == 0, first.stdout[-4000:]
    assert met == 1, f"the sandbox failed the release's record write {met} times, not once"
    changed = {task.rpartition(" : ")[2] for _host, task in changed_tasks(first.stdout)}
    assert "Install or upgrade the release of metrics_server" in changed, changed
    listed = json.loads(helm("list", "--all", "--output", "json"))
    assert [(r["name"], r["status"], r["revision"]) for r in listed] == [(RELEASE, "deployed", "2")]
    # Revision 2 re-applied revision 1; Helm's rollback supersedes only deployed revisions, so
    # the entry whose record was lost keeps its status in the history (a release is its last revision).
    history = json.loads(helm("history", RELEASE, "--output", "json"))
    assert [(h["revision"], h["status"], h["description"]) for h in history] == [
        (1, "pending-install", "Initial install underway"),
        (2, "deployed", "Rollback to 1"),
    ]

    # Settled in one run: the next one has nothing to unlock, keep or install.
    mark = sandbox_mark()
    again = run_role(tmp_path)
    assert again.returncode == 0, again.stdout[-4000:]
    assert changed_tasks(again.stdout) == set()
    assert real_writes(mark) == 0
