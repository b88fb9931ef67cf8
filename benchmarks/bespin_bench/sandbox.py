"""The benchmark's own sandbox: bring it up with the benchmark topology, count writes, restore the nodes.

Everything goes through the `sandbox` command, as a user would, except
reading the nodes and restoring them between runs, which talk to the
apiserver directly under the sandbox's own identity: its requests are kept
out of write accounting, so a restore never pollutes a measured write count.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from kubernetes.client.rest import ApiException

from ansible_collections.bespin.platform.plugins.module_utils.k8s_json import CONFLICT
from ansible_collections.bespin.platform.plugins.module_utils.k8s_nodes import NodeApi
from bespin_sandbox import cluster
from bespin_sandbox import topology as topologies
from bespin_sandbox.accounting import real_total
from bespin_sandbox.aws.seed import internal_api
from bespin_sandbox.layout import Layout
from bespin_sandbox.services.kubernetes import KubernetesService

BIN = Path(sys.executable).parent
RESTORE_ATTEMPTS = 10
RESTORE_WORKERS = 8


class BenchSandbox:
    def __init__(self, directory: Path, port_base: int):
        self.layout = Layout(root=directory.resolve(), port_base=port_base)
        self.command_env = {
            **os.environ,
            "BESPIN_SANDBOX_DIR": str(self.layout.root),
            "BESPIN_SANDBOX_PORT_BASE": str(port_base),
        }

    def _sandbox(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "sandbox"), *args], capture_output=True, text=True, check=False, env=self.command_env
        )

    def _sandbox_output(self, *args: str) -> str:
        result = self._sandbox(*args)
        if result.returncode != 0:
            raise RuntimeError(f"sandbox {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def running(self) -> bool:
        return self.layout.topology_file.exists() and self._sandbox("status").returncode == 0

    def up(self, topology_file: Path) -> float:
        """Start (or reseed) the sandbox with this topology; returns the seconds it took."""
        started = time.perf_counter()
        self._sandbox_output("up", "--topology", str(topology_file))
        return time.perf_counter() - started

    def down(self) -> None:
        self._sandbox_output("down")

    def reset(self) -> None:
        """Back to the freshly seeded estate (cluster objects, AWS and Azure state)."""
        self._sandbox_output("reset")

    def client_env(self) -> dict[str, str]:
        """What `eval "$(sandbox env)"` would export, on top of this process's environment."""
        settings = dict(self.command_env)
        for line in self._sandbox_output("env").splitlines():
            name, _sep, value = line.removeprefix("export ").partition("=")
            settings[name] = shlex.split(value)[0] if value else ""
        return settings

    def topology(self) -> topologies.Topology:
        """The topology the sandbox was last brought up with."""
        return topologies.load(self.layout.topology_file)

    # Write accounting -------------------------------------------------------------

    def mark(self) -> str:
        return self._sandbox_output("writes", "--mark").strip()

    def writes_since(self, mark: str) -> dict[str, dict[str, int]]:
        """`sandbox writes --since MARK --json`: counts by service and verb."""
        return json.loads(self._sandbox_output("writes", "--since", mark, "--json"))

    # EKS add-ons (the AWS twin's own API) ------------------------------------------

    def _aws_api(self, path: str, payload: dict | None = None, method: str = "POST") -> dict:
        return internal_api(f"http://127.0.0.1:{self.layout.aws_port}", path, payload, method)

    def addon_delay(self, seconds: float | None = None) -> float:
        """The seconds an add-on stays CREATING/UPDATING/DELETING; set it when given."""
        if seconds is None:
            return self._aws_api("/bespin-api/eks/addon-delay", method="GET")["seconds"]
        return self._aws_api("/bespin-api/eks/addon-delay", {"seconds": seconds}, method="PUT")["seconds"]

    def remove_addons(self) -> int:
        """Forget every add-on and Pod Identity association at once (no DELETING phase)."""
        return self._aws_api("/bespin-api/reset")["removed"]

    # Nodes ------------------------------------------------------------------------

    @contextmanager
    def _nodes(self) -> Iterator[NodeApi]:
        """The collection's own node client (JSON, retries), under the sandbox's identity."""
        api = cluster.connect(KubernetesService(self.layout).kubeconfig_for("sandbox"))
        try:
            yield NodeApi(api)
        finally:
            api.close()

    def list_nodes(self, label_selector: str | None = None) -> list[dict]:
        """The nodes (matching a label selector), as plain dicts: a read, never counted as a write."""
        with self._nodes() as nodes:
            return nodes.list_nodes(label_selector)

    def settle(self, window_s: float = 5.0, quiet_share: float = 0.01, timeout_s: float = 300.0) -> float:
        """Wait until the nodes stop changing: after a resize, kwok's first status updates and
        the controllers' (pod CIDRs, not-ready taints) keep the API server busy for a while and
        race every writer. Quiet means fewer than `quiet_share` of the nodes changed within
        `window_s` (kwok's own heartbeats never stop). Returns the seconds waited."""
        started = time.perf_counter()
        with self._nodes() as nodes:
            before = _versions(nodes.list_nodes())
            while time.perf_counter() - started < timeout_s:
                time.sleep(window_s)
                after = _versions(nodes.list_nodes())
                changed = sum(1 for name, version in after.items() if before.get(name) != version)
                if changed <= quiet_share * len(after):
                    break
                before = after
        return time.perf_counter() - started

    def patch_nodes(self, patches: dict[str, dict], workers: int) -> float:
        """One merge patch per node from a bare client (no Ansible, no planning, no retries
        on conflict); the seconds the writes took. The floor under any tool on this sandbox."""
        with self._nodes() as nodes, ThreadPoolExecutor(workers) as pool:
            started = time.perf_counter()
            list(pool.map(lambda item: nodes.merge_patch_node(*item), patches.items()))
            return time.perf_counter() - started

    def restore_nodes(self, label_prefix: str, taint_keys: set[str]) -> int:
        """Remove the labels under label_prefix and the taints with these keys from every node
        that carries any; returns how many nodes were restored.

        One merge patch per node, conditional on the resourceVersion just read and retried on
        a conflict, as kwok's heartbeats update the nodes all the time. (`sandbox reset` would
        restore them too, but it also reseeds the AWS twin and lists every resource type.)
        """

        def drifted(node: dict) -> bool:
            labels = node["metadata"].get("labels", {})
            taints = node.get("spec", {}).get("taints", [])
            return any(k.startswith(label_prefix) for k in labels) or any(t["key"] in taint_keys for t in taints)

        with self._nodes() as nodes, ThreadPoolExecutor(RESTORE_WORKERS) as pool:
            names = [node["metadata"]["name"] for node in nodes.list_nodes() if drifted(node)]
            list(pool.map(lambda name: _restore_node(nodes, name, label_prefix, taint_keys), names))
        return len(names)


def _versions(nodes: list[dict]) -> dict[str, str]:
    return {node["metadata"]["name"]: node["metadata"]["resourceVersion"] for node in nodes}


def _restore_node(nodes: NodeApi, name: str, label_prefix: str, taint_keys: set[str]) -> None:
    for attempt in range(RESTORE_ATTEMPTS):
        node = nodes.get_node(name)
        labels = {key: None for key in node["metadata"].get("labels", {}) if key.startswith(label_prefix)}
        kept_taints = [t for t in node.get("spec", {}).get("taints", []) if t["key"] not in taint_keys]
        patch = {
            "metadata": {"resourceVersion": node["metadata"]["resourceVersion"], "labels": labels},
            "spec": {"taints": kept_taints},
        }
        try:
            nodes.merge_patch_node(name, patch)
            return
        except ApiException as exc:
            if exc.status != CONFLICT or attempt == RESTORE_ATTEMPTS - 1:
                raise


def total_writes(summary: dict[str, dict[str, int]]) -> int:
    """The total `sandbox writes` prints: every write of every service, dry runs apart."""
    return real_total(summary)
