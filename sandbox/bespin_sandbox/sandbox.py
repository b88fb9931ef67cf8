"""The sandbox as a whole: bring it up, take it down, report on it, reset it."""

from __future__ import annotations

import fcntl
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import yaml

from . import cluster, components
from .layout import Layout
from .pki import Pki
from .processes import Daemon, ProcessError, port_in_use
from .tools import bin_dir
from .topology import Topology, load

_START_TIMEOUT = {"kube-apiserver": 90.0}
_DEFAULT_START_TIMEOUT = 45.0


@dataclass
class ComponentStatus:
    name: str
    pid: int | None
    url: str
    healthy: bool


class Sandbox:
    def __init__(self, layout: Layout | None = None):
        self.layout = layout or Layout.from_env()
        self.pki = Pki(self.layout.pki_dir)

    # Commands -------------------------------------------------------------------

    def up(self, topology_path: str | None = None, log=print) -> Topology:
        started = time.monotonic()
        with self._lock():
            self.layout.root.mkdir(parents=True, exist_ok=True)
            topology = self._choose_topology(topology_path)
            self.pki.ensure()
            components.write_kubeconfig(self.layout, self.pki)
            fresh_etcd = not (self.layout.etcd_data_dir / "member").exists()
            if fresh_etcd:
                self.layout.seed_file.unlink(missing_ok=True)
            for component in components.control_plane(self.layout, self.pki):
                self._ensure_running(component, log)
            api = cluster.connect(self.layout.kubeconfig)
            try:
                previous = self._running_topology()
                if self.layout.seed_file.exists() and previous and not topology_equal(previous, topology):
                    log(f"topology changed ({topology.source}): resetting and reseeding")
                    cluster.reset(api, self._seed(), topology)
                    self.layout.seed_file.unlink()
                changes = cluster.seed_nodes(api, topology)
                if any(changes.values()):
                    log("nodes: " + ", ".join(f"{count} {what}" for what, count in changes.items()))
                node_count = sum(g.count for g in topology.nodegroups)
                cluster.wait_nodes_ready(api, topology, timeout=60 + node_count / 10)
                cluster.wait_default_service_account(api, timeout=60)
                if not self.layout.seed_file.exists():
                    self.layout.seed_file.write_text(json.dumps(cluster.snapshot(api)))
            finally:
                api.close()
            self.layout.topology_file.write_text(yaml.safe_dump(_topology_document(topology), sort_keys=False))
        log(f"sandbox up: {topology.cluster_name} with {node_count} nodes Ready in {time.monotonic() - started:.1f}s")
        return topology

    def down(self, purge: bool = False, log=print) -> list[str]:
        with self._lock():
            stopped = [
                component.name
                for component in reversed(self._components_for_status())
                if self._daemon(component.name).stop()
            ]
            if purge:
                shutil.rmtree(self.layout.root, ignore_errors=True)
        log("sandbox down: " + (f"stopped {', '.join(stopped)}" if stopped else "nothing was running"))
        return stopped

    def status(self) -> list[ComponentStatus]:
        return [
            ComponentStatus(c.name, pid := self._daemon(c.name).pid(), c.url, pid is not None and c.health())
            for c in self._components_for_status()
        ]

    def env(self) -> dict[str, str]:
        kubeconfig = str(self.layout.kubeconfig)
        return {
            "BESPIN_SANDBOX_DIR": str(self.layout.root),
            "BESPIN_TOOLS_BIN": str(bin_dir()),
            "KUBECONFIG": kubeconfig,
            # kubernetes.core modules read this when kubeconfig is not passed.
            "K8S_AUTH_KUBECONFIG": kubeconfig,
        }

    def reset(self, log=print) -> int:
        with self._lock():
            topology = self._running_topology()
            if topology is None or not self.layout.seed_file.exists():
                raise ProcessError("the sandbox has not been seeded: run `sandbox up` first")
            api = cluster.connect(self.layout.kubeconfig)
            try:
                started = time.monotonic()
                deleted = cluster.reset(api, self._seed(), topology)
            finally:
                api.close()
        log(f"sandbox reset: {deleted} objects deleted, nodes reseeded in {time.monotonic() - started:.1f}s")
        return deleted

    # Helpers ----------------------------------------------------------------------

    def _ensure_running(self, component: components.Component, log) -> None:
        daemon = self._daemon(component.name)
        if daemon.pid() is None:
            port = int(component.url.rsplit(":", 1)[1])
            if port_in_use(port):
                raise ProcessError(
                    f"{component.name}: port {port} is taken by a process this sandbox did not start; "
                    "stop it or set BESPIN_SANDBOX_PORT_BASE"
                )
            daemon.start(component.argv)
            log(f"started {component.name} (pid {daemon.pid()}), log {daemon.logfile}")
        deadline = time.monotonic() + _START_TIMEOUT.get(component.name, _DEFAULT_START_TIMEOUT)
        while not component.health():
            if daemon.pid() is None:
                raise ProcessError(f"{component.name} exited while starting; last log lines:\n{daemon.log_tail()}")
            if time.monotonic() > deadline:
                raise ProcessError(
                    f"{component.name} not healthy at {component.url}; last log lines:\n{daemon.log_tail()}"
                )
            time.sleep(0.2)

    def _components_for_status(self) -> list[components.Component]:
        return components.control_plane(self.layout, self.pki)

    def _daemon(self, name: str) -> Daemon:
        return Daemon(name, self.layout.run_dir, self.layout.log_dir)

    def _choose_topology(self, path: str | None) -> Topology:
        if path:
            return load(path)
        return self._running_topology() or load()

    def _running_topology(self) -> Topology | None:
        if not self.layout.topology_file.exists():
            return None
        return load(self.layout.topology_file)

    def _seed(self) -> dict[str, list[str]]:
        return json.loads(self.layout.seed_file.read_text())

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        with open(self.layout.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield


def _topology_document(topology: Topology) -> dict:
    """The topology as a file again, so `up` without --topology keeps using it."""
    return {
        "cluster": {
            "name": topology.cluster_name,
            "region": topology.region,
            "kubernetes_version": topology.kubernetes_version,
            "vpc_cidr": topology.vpc_cidr,
        },
        "nodegroups": [
            {
                "name": g.name,
                "instance_type": g.instance_type,
                "zones": list(g.zones),
                "count": g.count,
                "labels": dict(g.labels),
                "taints": [t.as_k8s() for t in g.taints],
                "capacity_type": g.capacity_type,
            }
            for g in topology.nodegroups
        ],
    }


def topology_equal(a: Topology, b: Topology) -> bool:
    return _topology_document(a) == _topology_document(b)
