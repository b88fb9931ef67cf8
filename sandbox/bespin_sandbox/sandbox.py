"""The sandbox as a whole: bring it up, take it down, report on it, reset it."""

from __future__ import annotations

import fcntl
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import yaml

from .layout import Layout
from .processes import Daemon, ProcessError, port_in_use
from .services import Component, Service, all_services
from .tools import bin_dir
from .topology import Topology, load

Log = Callable[[str], None]


@dataclass
class ComponentStatus:
    service: str
    name: str
    pid: int | None
    url: str
    healthy: bool


class Sandbox:
    def __init__(self, layout: Layout | None = None):
        self.layout = layout or Layout.from_env()
        self.services: list[Service] = all_services(self.layout)

    # Commands -------------------------------------------------------------------

    def up(self, topology_path: str | None = None, log: Log = print) -> Topology:
        started = time.monotonic()
        with self._lock():
            topology = load(topology_path) if topology_path else self.topology() or load()
            for service in self.services:
                service.prepare()
                for component in service.components():
                    self._ensure_running(component, log)
                service.seed(topology, log)
            self.layout.topology_file.write_text(yaml.safe_dump(topology.to_document(), sort_keys=False))
        log(
            f"sandbox up: {topology.cluster_name} with {topology.node_count} nodes, "
            f"ready in {time.monotonic() - started:.1f}s"
        )
        return topology

    def down(self, purge: bool = False, log: Log = print) -> list[str]:
        with self._lock():
            stopped = [c.name for c in reversed(self._components()) if self._daemon(c.name).stop()]
            if purge:
                shutil.rmtree(self.layout.root, ignore_errors=True)
        log("sandbox down: " + (f"stopped {', '.join(stopped)}" if stopped else "nothing was running"))
        return stopped

    def status(self) -> list[ComponentStatus]:
        rows = []
        for service in self.services:
            for component in service.components():
                pid = self._daemon(component.name).pid()
                rows.append(
                    ComponentStatus(
                        service.name, component.name, pid, component.url, pid is not None and component.health()
                    )
                )
            for process in service.supervised():
                url = f"http://127.0.0.1:{process['port']}" if process.get("port") else "-"
                rows.append(ComponentStatus(service.name, process["name"], process["pid"], url, process["healthy"]))
        return rows

    def env(self) -> dict[str, str]:
        settings = {"BESPIN_SANDBOX_DIR": str(self.layout.root), "BESPIN_TOOLS_BIN": str(bin_dir())}
        for service in self.services:
            settings.update(service.env())
        return settings

    def reset(self, log: Log = print) -> int:
        started = time.monotonic()
        with self._lock():
            topology = self.topology()
            if topology is None:
                raise ProcessError("the sandbox has not been seeded: run `sandbox up` first")
            for service in self.services:
                service.quiesce()
            deleted = sum(service.reset(topology) for service in self.services)
            for component in self._components():
                self._ensure_running(component, log)
        log(f"sandbox reset: {deleted} objects deleted, seed restored in {time.monotonic() - started:.1f}s")
        return deleted

    def topology(self) -> Topology | None:
        """The topology the sandbox was last brought up with."""
        return load(self.layout.topology_file) if self.layout.topology_file.exists() else None

    # Helpers ----------------------------------------------------------------------

    def _ensure_running(self, component: Component, log: Log) -> None:
        daemon = self._daemon(component.name)
        if daemon.pid() is None:
            if port_in_use(component.port):
                raise ProcessError(
                    f"{component.name}: port {component.port} is taken by a process this sandbox did not "
                    "start; stop it or set BESPIN_SANDBOX_PORT_BASE"
                )
            daemon.start(component.argv, component.env)
            log(f"started {component.name} (pid {daemon.pid()}), log {daemon.logfile}")
        deadline = time.monotonic() + component.start_timeout
        while not component.health():
            if daemon.pid() is None:
                raise ProcessError(f"{component.name} exited while starting; last log lines:\n{daemon.log_tail()}")
            if time.monotonic() > deadline:
                raise ProcessError(
                    f"{component.name} not healthy at {component.url}; last log lines:\n{daemon.log_tail()}"
                )
            time.sleep(0.2)

    def _components(self) -> list[Component]:
        return [component for service in self.services for component in service.components()]

    def _daemon(self, name: str) -> Daemon:
        return Daemon(name, self.layout.run_dir, self.layout.log_dir)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        with open(self.layout.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
