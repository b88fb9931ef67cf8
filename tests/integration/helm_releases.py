"""Helm releases the module tests make and read: one namespace each, the sandbox's chart repository."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

CHART = "metrics-server"
CHART_VERSION = "3.13.0"


class Releases:
    def __init__(self, namespace: str):
        self.namespace = namespace

    def helm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["helm", *args, "--namespace", self.namespace], capture_output=True, text=True,
                              check=check)  # fmt: skip

    def status(self, name: str) -> str:
        listed = json.loads(self.helm("list", "--all", "--output", "json").stdout)
        return next((release["status"] for release in listed if release["name"] == name), "absent")

    def history(self, name: str) -> list[tuple[int, str, str]]:
        entries = json.loads(self.helm("history", name, "--output", "json").stdout)
        return [(h["revision"], h["status"], h["description"]) for h in entries]

    def install(self, name: str, *options: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.helm("upgrade", "--install", name, CHART, "--repo", os.environ["BESPIN_CHART_REPO_URL"],
                         "--create-namespace", "--wait", "--timeout", "120s", *options, check=check)  # fmt: skip

    def killed_while_waiting(self, name: str) -> str:
        """`helm upgrade --install --wait` whose pods can never be scheduled, SIGKILLed once the release is pending."""
        process = subprocess.Popen(
            ["helm", "upgrade", "--install", name, CHART, "--repo", os.environ["BESPIN_CHART_REPO_URL"],
             "--namespace", self.namespace, "--create-namespace", "--wait", "--timeout", "120s",
             "--set-string", "nodeSelector.bespin\\.io/nowhere=true"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.status(name).startswith("pending"):
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return self.status(name)

    def deployment(self, name: str) -> dict:
        found = subprocess.run(["kubectl", "get", "deployment", "--namespace", self.namespace, "--selector",
                                f"app.kubernetes.io/instance={name}", "--output", "json"],
                               capture_output=True, text=True, check=True)  # fmt: skip
        (item,) = json.loads(found.stdout)["items"]
        return item

    def record_update(self, name: str = "") -> str:
        """The request that records a release's revision as deployed (its Secret, updated in place)."""
        return rf"^PUT /api/v1/namespaces/{self.namespace}/secrets/sh[.]helm[.]release[.]v1[.]{name}"
