"""The measured runs: a playbook converging node labels and taints, and an `ansible-inventory --list`.

Each run is one process, timed from start to exit (what a user waits for),
with the peak memory of its process tree and, for playbooks, the writes it
made (`sandbox writes`) and each task's own duration (from the
ansible.posix.json callback), so the report can say where the time goes.
After a converge the nodes are read back: a run that did not reach the
desired state has no figure worth printing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import boto3

from . import inventories
from .measure import run_measured
from .sandbox import BIN, BenchSandbox, total_writes

PLAYBOOKS = Path(__file__).resolve().parents[1] / "playbooks"


class NotConverged(RuntimeError):
    """The nodes are not in the desired state after a converge."""


@dataclass(frozen=True)
class PlaybookRun:
    wall_s: float
    max_rss_mib: float
    writes: int
    # Seconds per task name (without the role's prefix), summed over the play.
    task_s: dict[str, float]


@dataclass(frozen=True)
class InventoryRun:
    wall_s: float
    max_rss_mib: float
    hosts: int


@dataclass
class Runner:
    root: Path
    sandbox: BenchSandbox
    env: dict[str, str]

    @classmethod
    def for_sandbox(cls, root: Path, sandbox: BenchSandbox) -> Runner:
        env = sandbox.client_env()
        # The collection from this checkout, as `make` sets it; a JSON report to read the task times from.
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(root / ".venv" / "collections"))
        env.setdefault("ANSIBLE_HOME", str(root / ".cache" / "ansible"))
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        env["ANSIBLE_RETRY_FILES_ENABLED"] = "false"
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        return cls(root, sandbox, env)

    def playbook(self, name: str, inventory: Path) -> PlaybookRun:
        mark = self.sandbox.mark()
        measured = run_measured(
            [str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOKS / name)], self.env, str(self.root)
        )
        writes = total_writes(self.sandbox.writes_since(mark))
        return PlaybookRun(measured.wall_s, measured.max_rss_mib, writes, _task_seconds(measured.stdout))

    def inventory_list(self, source: Path) -> InventoryRun:
        measured = run_measured([str(BIN / "ansible-inventory"), "-i", str(source), "--list"], self.env, str(self.root))
        hosts = len(json.loads(measured.stdout).get("_meta", {}).get("hostvars", {}))
        return InventoryRun(measured.wall_s, measured.max_rss_mib, hosts)

    def check_addons_active(self, names: list[str]) -> None:
        """Raise NotConverged unless exactly these add-ons are installed, all ACTIVE."""
        statuses = _addon_statuses(self.env)
        if sorted(statuses) != sorted(names) or set(statuses.values()) != {"ACTIVE"}:
            raise NotConverged(f"add-ons after the run: {statuses}, expected {sorted(names)} ACTIVE")

    def check_converged(self, nodes: list[str]) -> None:
        """Raise NotConverged unless every node has exactly its domain's labels and taint."""
        expected = inventories.desired_state(nodes)
        wrong = []
        for node in self.sandbox.list_nodes(inventories.DOMAIN_KEY):
            name = node["metadata"]["name"]
            domain = expected.pop(name, None)
            labels = node["metadata"].get("labels", {})
            ours = {k: v for k, v in labels.items() if k.startswith(inventories.LABEL_PREFIX)}
            taints = [
                {"key": t["key"], "value": t.get("value", ""), "effect": t["effect"]}
                for t in node.get("spec", {}).get("taints", [])
                if t["key"] == inventories.DOMAIN_KEY
            ]
            if (
                domain is None
                or ours != inventories.desired_labels(domain)
                or taints != inventories.desired_taints(domain)
            ):
                wrong.append(name)
        if wrong or expected:
            raise NotConverged(
                f"{len(wrong)} node(s) in the wrong state (e.g. {wrong[:3]}), "
                f"{len(expected)} not labelled (e.g. {list(expected)[:3]})"
            )


def _addon_statuses(env: dict[str, str]) -> dict[str, str]:
    eks = boto3.client(
        "eks",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    cluster = env["BESPIN_EKS_CLUSTER"]
    names = eks.list_addons(clusterName=cluster)["addons"]
    return {name: eks.describe_addon(clusterName=cluster, addonName=name)["addon"]["status"] for name in names}


def _task_seconds(report: str) -> dict[str, float]:
    """Task name -> seconds, from the ansible.posix.json callback's report."""
    seconds: dict[str, float] = {}
    for play in json.loads(report)["plays"]:
        for task in play["tasks"]:
            duration = task["task"]["duration"]
            elapsed = datetime.fromisoformat(duration["end"]) - datetime.fromisoformat(duration["start"])
            # "bespin.platform.node_topology : Label and taint the nodes" -> "Label and taint the nodes"
            name = task["task"]["name"].rpartition(" : ")[2]
            seconds[name] = seconds.get(name, 0.0) + elapsed.total_seconds()
    return seconds


# Actions Ansible runs in the controller process, without a module process of their own.
CONTROLLER_ACTIONS = frozenset(
    ("set_fact", "debug", "assert", "fail", "meta", "include_tasks", "import_tasks", "include_role", "import_role",
     "include_vars", "add_host", "group_by", "set_stats", "validate_argument_spec")
)  # fmt: skip


def module_calls(report: str) -> int:
    """Module processes a run started, from the ansible.posix.json report: one per host and loop item
    that ran (not skipped) an action with a module (set_fact, assert and the like run in the controller)."""
    calls = 0
    for play in json.loads(report)["plays"]:
        for task in play["tasks"]:
            for result in task["hosts"].values():
                action = str(result.get("action", "")).removeprefix("ansible.builtin.").removeprefix("ansible.legacy.")
                if action in CONTROLLER_ACTIONS:
                    continue
                items = result.get("results") if isinstance(result.get("results"), list) else [result]
                calls += sum(1 for item in items if isinstance(item, dict) and not item.get("skipped"))
    return calls
