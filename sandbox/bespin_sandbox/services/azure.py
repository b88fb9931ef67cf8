"""The Azure side: Azurite for Blob storage, our ARM stand-in for everything else.

Azurite (npm, installed by sandbox/scripts/install-azurite.sh into a cache
outside the checkout) serves the blob data plane, static-website ``$web``
container included. The ARM stand-in (``bespin_sandbox.azure``) serves
management.azure.com to unmodified azure.azcollection modules through
``HTTPS_PROXY`` and a managed-identity token endpoint; see that package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import cache
from pathlib import Path

from ..azure import AZURITE_ACCOUNT, AZURITE_KEY, IDENTITY_HEADER, SUBSCRIPTION_ID, TENANT_ID
from ..azure.store import Store
from ..azure.tls import AzureTls
from ..layout import LOOPBACK, REPO_ROOT, Layout
from ..topology import Topology
from .base import Component, Service, http_ok

INSTALL_SCRIPT = REPO_ROOT / "sandbox" / "scripts" / "install-azurite.sh"
# Clients that must never go through the ARM proxy: everything of the sandbox is on loopback.
DIRECT_HOSTS = ("127.0.0.1", "localhost")


class AzureError(RuntimeError):
    pass


@cache
def azurite_blob() -> str:
    """The azurite-blob executable (installed on first use, then a cache hit)."""
    result = subprocess.run(["bash", str(INSTALL_SCRIPT)], stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise AzureError(f"installing Azurite failed ({INSTALL_SCRIPT}, exit {result.returncode})")
    return result.stdout.strip().splitlines()[-1]


class AzureService(Service):
    name = "azure"

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self.tls = AzureTls(layout.pki_dir)
        self.store = Store(self.state_dir / "arm.json")

    @property
    def state_dir(self) -> Path:
        return self.layout.root / "azure"

    @property
    def azurite_url(self) -> str:
        return f"http://{LOOPBACK}:{self.layout.azurite_blob_port}"

    @property
    def blob_endpoint(self) -> str:
        return f"{self.azurite_url}/{AZURITE_ACCOUNT}"

    @property
    def connection_string_file(self) -> Path:
        return self.state_dir / "azurite-connection-string"

    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )

    # Service ----------------------------------------------------------------------

    def prepare(self) -> None:
        self.tls.ensure()
        (self.state_dir / "azurite").mkdir(parents=True, exist_ok=True)
        self.layout.writes_dir.mkdir(parents=True, exist_ok=True)
        # Azurite's development key is public, but keys stay out of `sandbox env` all the same.
        fd = os.open(self.connection_string_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.connection_string())

    def components(self) -> list[Component]:
        layout = self.layout
        arm_url = f"http://{LOOPBACK}:{layout.azure_arm_port}"
        identity_url = f"http://{LOOPBACK}:{layout.azure_identity_port}"
        arm_argv = [
            sys.executable,
            "-m",
            "bespin_sandbox.azure",
            f"--state={layout.root}",
            f"--writes={layout.writes_dir}",
            f"--faults={layout.faults_file}",
            f"--arm-port={layout.azure_arm_port}",
            f"--identity-port={layout.azure_identity_port}",
            f"--azurite-url={self.azurite_url}",
            f"--cert={self.tls.server_cert}",
            f"--key={self.tls.server_key}",
        ]
        if os.environ.get("BESPIN_AZURE_DEBUG") == "1":
            arm_argv.append("--debug")
        return [
            Component(
                "azurite",
                [
                    azurite_blob(),
                    f"--blobHost={LOOPBACK}",
                    f"--blobPort={layout.azurite_blob_port}",
                    f"--location={self.state_dir / 'azurite'}",
                    "--disableTelemetry",
                    "--skipApiVersionCheck",
                    "--loose",
                    "--silent",
                ],
                lambda: _answers(f"{self.azurite_url}/"),
                self.azurite_url,
            ),
            Component(
                "azure-arm",
                arm_argv,
                lambda: http_ok(f"{arm_url}/healthz") and http_ok(f"{identity_url}/healthz"),
                arm_url,
            ),
        ]

    def seed(self, topology: Topology, log: Callable[[str], None]) -> None:
        # Nothing to create: the subscription exists from the start. Record the (empty) seed once.
        with self.store.transaction() as state:
            if not state.document.get("seeded_once"):
                state.document["seeded_once"] = True
                state.mark_seeded()

    def reset(self, topology: Topology) -> int:
        with self.store.transaction() as state:
            removed = state.reset()
        return removed + self._reset_azurite()

    def env(self) -> dict[str, str]:
        no_proxy = [*DIRECT_HOSTS]
        for host in os.environ.get("NO_PROXY", "").split(","):
            if host.strip() and host.strip() not in no_proxy:
                no_proxy.append(host.strip())
        return {
            # azure.azcollection: authenticate as a managed identity (App Service protocol).
            "ANSIBLE_AZURE_AUTH_SOURCE": "msi",
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION_ID,
            "AZURE_TENANT_ID": TENANT_ID,
            "IDENTITY_ENDPOINT": f"http://{LOOPBACK}:{self.layout.azure_identity_port}/msi/token",
            "IDENTITY_HEADER": IDENTITY_HEADER,
            # management.azure.com goes to the stand-in; everything on loopback goes direct.
            "HTTPS_PROXY": f"http://{LOOPBACK}:{self.layout.azure_arm_port}",
            "NO_PROXY": ",".join(no_proxy),
            "REQUESTS_CA_BUNDLE": str(self.tls.ca_bundle),
            "AZURE_STORAGE_ACCOUNT": AZURITE_ACCOUNT,
            "AZURE_STORAGE_BLOB_ENDPOINT": self.blob_endpoint,
            "AZURITE_CONNECTION_STRING_FILE": str(self.connection_string_file),
        }

    # Helpers ----------------------------------------------------------------------

    def _reset_azurite(self) -> int:
        """Remove every container and the static-website setting (seeding creates none)."""
        # Imported here: the Azure SDK takes a second to import, which every other `sandbox` command would pay.
        from azure.storage.blob import BlobServiceClient, StaticWebsite

        client = BlobServiceClient.from_connection_string(self.connection_string())
        names = [container.name for container in client.list_containers()]
        for name in names:
            client.delete_container(name)
        client.set_service_properties(static_website=StaticWebsite(enabled=False))
        return len(names)


def _answers(url: str) -> bool:
    """Azurite answers anonymous requests with an HTTP error: any answer means it is up."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our loopback URL
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
