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

from kubernetes.client.rest import ApiException

from .. import argo, cluster
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
        """Stop the controllers, then drop the finalizers only they would clear.

        An Application with Argo CD's resources finalizer waits for a controller to delete
        its resources; with the controllers stopped, the reset would wait for nothing.
        """
        Daemon(SUPERVISOR, self.layout.run_dir, self.layout.log_dir).stop()
        api = cluster.connect(self.layout.root / "kubeconfig-sandbox")
        try:
            for plural in ("applications", "applicationsets"):
                try:
                    items = api.call_api(
                        f"/apis/argoproj.io/v1alpha1/{plural}",
                        "GET",
                        auth_settings=["BearerToken"],
                        _preload_content=False,
                    )
                except ApiException as exc:
                    if exc.status == 404:
                        continue  # Argo CD's CRDs are not installed
                    raise
                for item in json.loads(items.data)["items"]:
                    if any("argocd.argoproj.io" in f for f in item["metadata"].get("finalizers") or []):
                        metadata = item["metadata"]
                        api.call_api(
                            f"/apis/argoproj.io/v1alpha1/namespaces/{metadata['namespace']}/{plural}/{metadata['name']}",
                            "PATCH",
                            body={"metadata": {"finalizers": None}},
                            header_params={"Content-Type": "application/merge-patch+json"},
                            auth_settings=["BearerToken"],
                            _preload_content=False,
                        )
        finally:
            api.close()
