"""The real Argo CD and Argo Rollouts controllers, run for the workloads their charts install.

One component, the supervisor (bespin_sandbox.argo), which starts and stops the
upstream processes as the charts' workloads appear and go. `sandbox status`
shows each process it runs; `sandbox down` stops it with them (one process
group); `sandbox reset` stops them before the cluster is emptied, so that no
controller recreates what the reset deletes, and the next `up` or reset starts
the supervisor again.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from .. import argo
from ..processes import Daemon
from ..tools import argo_bin_dir, bin_dir
from .base import Component, Service, http_ok

SUPERVISOR = "argo-supervisor"


class ArgoService(Service):
    name = "argo"

    def components(self) -> list[Component]:
        return [
            Component(
                SUPERVISOR,
                [
                    sys.executable,
                    "-m",
                    "bespin_sandbox.argo",
                    f"--argo-bin={argo_bin_dir()}",
                    f"--tools-bin={bin_dir()}",
                    f"--sandbox-dir={self.layout.root}",
                    f"--port-base={self.layout.port_base}",
                ],
                lambda: http_ok(argo.status_url(self.layout)),
                argo.status_url(self.layout),
            )
        ]

    def supervised(self) -> list[dict]:
        """The processes the supervisor runs now: name, pid, port, healthy."""
        try:
            with urllib.request.urlopen(argo.status_url(self.layout), timeout=2) as response:  # noqa: S310 - loopback
                return json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return []

    def quiesce(self) -> None:
        Daemon(SUPERVISOR, self.layout.run_dir, self.layout.log_dir).stop()
