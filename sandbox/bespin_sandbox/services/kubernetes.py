"""The control plane's components: how each is started and how it proves healthy.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler are the
upstream code (built by sandbox/kube); kwok plays the kubelets of the simulated
nodes: it keeps their heartbeats and moves the pods the real scheduler binds
to them through their lifecycle.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .layout import LOOPBACK, Layout
from .pki import SERVICE_CLUSTER_IP_RANGE, Pki
from .tools import tool

CONTEXT = "sandbox"
# Simulated pods get addresses from the VPC range, as with the VPC CNI.
POD_CIDR = "10.0.128.0/17"
KWOK_CONFIG = Path(__file__).parent / "kwok.yaml"


@dataclass(frozen=True)
class Component:
    name: str
    argv: list[str]
    health: Callable[[], bool]
    url: str


def write_kubeconfig(layout: Layout, pki: Pki) -> Path:
    """The admin kubeconfig every component and every client uses."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT,
                "cluster": {"server": layout.apiserver_url, "certificate-authority": str(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": "bespin-admin",
                "user": {"client-certificate": str(pki.admin_cert), "client-key": str(pki.admin_key)},
            }
        ],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "bespin-admin"}}],
        "current-context": CONTEXT,
    }
    layout.kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))
    layout.kubeconfig.chmod(0o600)
    return layout.kubeconfig


def control_plane(layout: Layout, pki: Pki) -> list[Component]:
    """The components in start order (stop in reverse)."""
    kubeconfig = str(layout.kubeconfig)
    delegated_auth = [
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={LOOPBACK}",
        "--leader-elect=false",
    ]
    etcd_url = f"http://{LOOPBACK}:{layout.etcd_client_port}"
    return [
        Component(
            "etcd",
            [
                tool("etcd"),
                "--name=sandbox",
                f"--data-dir={layout.etcd_data_dir}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://{LOOPBACK}:{layout.etcd_peer_port}",
                f"--initial-advertise-peer-urls=http://{LOOPBACK}:{layout.etcd_peer_port}",
                f"--initial-cluster=sandbox=http://{LOOPBACK}:{layout.etcd_peer_port}",
                # Space is reclaimed by compaction, kept small so that many resets never fill it.
                "--quota-backend-bytes=2147483648",
                "--auto-compaction-retention=5m",
            ],
            lambda: _http_ok(f"{etcd_url}/health"),
            etcd_url,
        ),
        Component(
            "kube-apiserver",
            [
                tool("kube-apiserver"),
                f"--etcd-servers={etcd_url}",
                f"--bind-address={LOOPBACK}",
                f"--advertise-address={LOOPBACK}",
                f"--secure-port={layout.apiserver_port}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki.service_account_pub}",
                f"--service-account-signing-key-file={pki.service_account_key}",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                "--authorization-mode=Node,RBAC",
                "--allow-privileged=true",
                "--profiling=false",
                # Plenty of in-flight requests: benchmarks create thousands of objects at once.
                "--max-requests-inflight=1000",
                "--max-mutating-requests-inflight=500",
            ],
            lambda: _https_ok(f"{layout.apiserver_url}/readyz", pki),
            layout.apiserver_url,
        ),
        Component(
            "kube-controller-manager",
            [
                tool("kube-controller-manager"),
                *delegated_auth,
                f"--secure-port={layout.controller_manager_port}",
                f"--service-account-private-key-file={pki.service_account_key}",
                f"--root-ca-file={pki.ca_cert}",
                f"--cluster-signing-cert-file={pki.ca_cert}",
                f"--cluster-signing-key-file={pki.ca_key}",
                "--use-service-account-credentials=true",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                "--profiling=false",
            ],
            lambda: _https_ok(f"https://{LOOPBACK}:{layout.controller_manager_port}/healthz", None),
            f"https://{LOOPBACK}:{layout.controller_manager_port}",
        ),
        Component(
            "kube-scheduler",
            [
                tool("kube-scheduler"),
                *delegated_auth,
                f"--secure-port={layout.scheduler_port}",
                "--profiling=false",
            ],
            lambda: _https_ok(f"https://{LOOPBACK}:{layout.scheduler_port}/healthz", None),
            f"https://{LOOPBACK}:{layout.scheduler_port}",
        ),
        Component(
            "kwok",
            [
                tool("kwok"),
                f"--kubeconfig={kubeconfig}",
                f"--config={KWOK_CONFIG}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                f"--cidr={POD_CIDR}",
                f"--server-address={LOOPBACK}:{layout.kwok_port}",
            ],
            lambda: _http_ok(f"http://{LOOPBACK}:{layout.kwok_port}/healthz"),
            f"http://{LOOPBACK}:{layout.kwok_port}",
        ),
    ]


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http:// URLs
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _https_ok(url: str, pki: Pki | None) -> bool:
    """GET over TLS: with the sandbox CA and admin cert, or (the components'
    self-signed health endpoints, anonymous by design) without verification."""
    if pki is None:
        context = ssl._create_unverified_context()  # noqa: S323 - loopback health probe of a self-signed port
    else:
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310 - https only
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
