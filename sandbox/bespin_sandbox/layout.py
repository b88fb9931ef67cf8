"""Where the sandbox keeps its state and which loopback ports it listens on.

Everything lives under one folder (``.sandbox/`` in the checkout by default,
gitignored) so that ``sandbox down`` plus ``rm -rf`` leaves nothing behind, and
a second sandbox (tests of the lifecycle itself) can run beside the first with
its own folder and port base.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Layout:
    root: Path
    port_base: int

    @classmethod
    def from_env(cls) -> Layout:
        root = Path(os.environ.get("BESPIN_SANDBOX_DIR", REPO_ROOT / ".sandbox")).resolve()
        # Below 32768: Linux hands out 32768-60999 to outgoing connections, and one of
        # those (kube-apiserver to etcd, say) can hold a sandbox port for a minute.
        return cls(root=root, port_base=int(os.environ.get("BESPIN_SANDBOX_PORT_BASE", "21000")))

    # Folders -----------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def pki_dir(self) -> Path:
        return self.root / "pki"

    @property
    def etcd_data_dir(self) -> Path:
        return self.root / "etcd"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def topology_file(self) -> Path:
        """The topology the running sandbox was seeded from."""
        return self.root / "topology.yml"

    @property
    def seed_file(self) -> Path:
        """The objects that existed right after seeding (what ``reset`` keeps)."""
        return self.root / "seed.json"

    # Ports (all on loopback) ---------------------------------------------------
    @property
    def etcd_client_port(self) -> int:
        return self.port_base + 1

    @property
    def etcd_peer_port(self) -> int:
        return self.port_base + 2

    @property
    def apiserver_port(self) -> int:
        return self.port_base + 443

    @property
    def controller_manager_port(self) -> int:
        return self.port_base + 257

    @property
    def scheduler_port(self) -> int:
        return self.port_base + 259

    @property
    def kwok_port(self) -> int:
        return self.port_base + 247

    # Part 2 services: one port each, kept here so no two services ever collide.
    @property
    def aws_port(self) -> int:
        """moto and our EKS add-on / Pod Identity APIs, behind one endpoint."""
        return self.port_base + 500

    @property
    def azure_arm_port(self) -> int:
        """The Azure Resource Manager stand-in (HTTPS proxy for management.azure.com)."""
        return self.port_base + 510

    @property
    def azure_identity_port(self) -> int:
        """The managed-identity token endpoint azure.azcollection authenticates against."""
        return self.port_base + 511

    @property
    def azurite_blob_port(self) -> int:
        return self.port_base + 520

    @property
    def chart_repo_port(self) -> int:
        """The Helm chart repository that serves the stand-in charts (sandbox/charts)."""
        return self.port_base + 530

    @property
    def git_port(self) -> int:
        """The git server (smart HTTP, basic auth) that serves the GitOps repositories."""
        return self.port_base + 540

    def argo_port(self, offset: int) -> int:
        """The Argo CD and Argo Rollouts processes' ports: 550-579, handed out by services/argo.py."""
        if not 0 <= offset < 30:
            raise ValueError(f"argo port offset {offset} is outside 0-29")
        return self.port_base + 550 + offset

    @property
    def argo_dir(self) -> Path:
        """The Argo processes' state: kubeconfigs, Redis data, the repo-server's checkouts."""
        return self.root / "argo"

    @property
    def redis_ports(self) -> tuple[int, int]:
        """Primary, replica."""
        return (self.port_base + 379, self.port_base + 380)

    @property
    def sentinel_ports(self) -> tuple[int, int, int]:
        return (self.port_base + 381, self.port_base + 382, self.port_base + 383)

    @property
    def kube_proxy_port(self) -> int:
        """The fault-injecting proxy in front of kube-apiserver that the kubeconfig points at."""
        return self.port_base + 444

    @property
    def writes_dir(self) -> Path:
        """One journal of mutating requests per service (see accounting.py)."""
        return self.root / "writes"

    @property
    def faults_file(self) -> Path:
        return self.root / "faults.json"

    @property
    def apiserver_url(self) -> str:
        return f"https://{LOOPBACK}:{self.apiserver_port}"
