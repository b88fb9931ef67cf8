"""What every service of the sandbox provides to `sandbox up/down/status/env/reset`."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from ..layout import Layout
from ..topology import Topology


@dataclass(frozen=True)
class Component:
    """One daemon: how to start it and how it proves healthy."""

    name: str
    argv: list[str]
    health: Callable[[], bool]
    url: str
    env: dict[str, str] = field(default_factory=dict)
    start_timeout: float = 45.0

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/", 1)[0])


class Service:
    """A part of the twin (Kubernetes, AWS, Azure, Redis). Subclasses override what they need."""

    name = "service"

    def __init__(self, layout: Layout):
        self.layout = layout

    def prepare(self) -> None:
        """Write config files and credentials before any component starts (idempotent)."""

    def components(self) -> list[Component]:
        """The daemons, in start order."""
        return []

    def seed(self, topology: Topology, log: Callable[[str], None]) -> None:
        """Make the running service match the topology; called on every `up` (idempotent)."""

    def reset(self, topology: Topology) -> int:
        """Back to the freshly seeded state; returns how many objects were removed."""
        return 0

    def quiesce(self) -> None:
        """Before any service resets: stop whatever would write to the others meanwhile."""

    def supervised(self) -> list[dict]:
        """Processes a component runs on behalf of the estate (name, pid, port, healthy), for `status`."""
        return []

    def env(self) -> dict[str, str]:
        """Settings a client needs, printed by `sandbox env`."""
        return {}


def http_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310 - our loopback URLs
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def unverified_tls() -> ssl.SSLContext:
    """For loopback health probes of components that serve a self-signed certificate."""
    return ssl._create_unverified_context()  # noqa: S323
