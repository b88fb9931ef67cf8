"""The Kubernetes side: a real control plane whose EKS nodes kwok simulates.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler are the
upstream code (built by sandbox/kube); kwok plays the kubelets of the simulated
nodes: it keeps their heartbeats and moves the pods the real scheduler binds
to them through their lifecycle.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from .. import cluster
from ..layout import LOOPBACK, Layout
from ..pki import CLIENT_IDENTITIES, FRONT_PROXY_IDENTITY, FRONT_PROXY_USER, SERVICE_CLUSTER_IP_RANGE, Pki
from ..tools import tool
from ..topology import Topology, load
from .base import Component, Service, http_ok, unverified_tls

CONTEXT = "sandbox"
# The authenticating proxy's identity: the apiserver trusts its X-Remote-User/X-Remote-Group headers.
# Simulated pods get addresses from the VPC range, as with the VPC CNI.
POD_CIDR = "10.0.128.0/17"
AUDIT_LOG = "kubernetes.audit.log"
# Write accounting: the audit log records every client write (with its URI, so
# dry runs show), and nothing the control plane, kwok or the sandbox itself
# writes in the background.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted", "Panic"],
    "rules": [
        {
            "level": "None",
            "users": [
                "system:kube-controller-manager",
                "system:kube-scheduler",
                "system:kwok",
                "system:bespin-sandbox",
                "system:apiserver",
            ],
        },
        {"level": "None", "userGroups": ["system:serviceaccounts:kube-system", "system:nodes"]},
        {"level": "Metadata", "verbs": ["create", "update", "patch", "delete", "deletecollection"]},
        {"level": "None"},
    ],
}


class KubernetesService(Service):
    name = "kubernetes"

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self.pki = Pki(layout.pki_dir)

    @property
    def _audit_policy(self) -> Path:
        return self.layout.root / "audit-policy.yaml"

    @property
    def _token_webhook(self) -> Path:
        return self.layout.root / "token-webhook.kubeconfig"

    @property
    def kwok_stages(self) -> Path:
        return self.layout.root / "kwok-stages.yaml"

    # Service ----------------------------------------------------------------------

    def prepare(self) -> None:
        self.pki.ensure()
        self._write_kubeconfigs()
        if not self.kwok_stages.exists():
            # kwok's default stages (node init and heartbeat with a lease; pod ready,
            # complete and delete), as the linked kwok module defines them.
            stages = subprocess.run([tool("bespin-kube"), "kwok-stages"], capture_output=True, text=True, check=True)
            self.kwok_stages.write_text(stages.stdout)
        self.layout.writes_dir.mkdir(parents=True, exist_ok=True)
        self._audit_policy.write_text(yaml.safe_dump(AUDIT_POLICY, sort_keys=False))
        self._write_token_webhook()
        if not (self.layout.etcd_data_dir / "member").exists():
            self.layout.seed_file.unlink(missing_ok=True)  # a new etcd: the old snapshot means nothing

    @property
    def kube_proxy_url(self) -> str:
        return f"https://{LOOPBACK}:{self.layout.kube_proxy_port}"

    def kubeconfig_for(self, identity: str) -> Path:
        return self.layout.kubeconfig if identity == "admin" else self.layout.root / f"kubeconfig-{identity}"

    def components(self) -> list[Component]:
        layout, pki = self.layout, self.pki

        def delegated_auth(identity: str) -> list[str]:
            kubeconfig = self.kubeconfig_for(identity)
            return [
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                f"--bind-address={LOOPBACK}",
                "--leader-elect=false",
                "--profiling=false",
            ]

        etcd_url = f"http://{LOOPBACK}:{layout.etcd_client_port}"
        peer_url = f"http://{LOOPBACK}:{layout.etcd_peer_port}"
        kcm_url = f"https://{LOOPBACK}:{layout.controller_manager_port}"
        scheduler_url = f"https://{LOOPBACK}:{layout.scheduler_port}"
        kwok_url = f"http://{LOOPBACK}:{layout.kwok_port}"
        fault_proxy_health = f"{self.kube_proxy_url}/bespin-kube-proxy/healthz"
        return [
            Component(
                "etcd",
                [
                    tool("etcd"),
                    "--name=sandbox",
                    f"--data-dir={layout.etcd_data_dir}",
                    f"--listen-client-urls={etcd_url}",
                    f"--advertise-client-urls={etcd_url}",
                    f"--listen-peer-urls={peer_url}",
                    f"--initial-advertise-peer-urls={peer_url}",
                    f"--initial-cluster=sandbox={peer_url}",
                    "--quota-backend-bytes=2147483648",
                    # Resets delete a lot; compaction keeps the database small.
                    "--auto-compaction-retention=5m",
                ],
                lambda: http_ok(f"{etcd_url}/health"),
                etcd_url,
            ),
            Component(
                "kube-apiserver",
                [
                    tool("kube-apiserver"),
                    f"--etcd-servers={etcd_url}",
                    f"--bind-address={LOOPBACK}",
                    f"--advertise-address={LOOPBACK}",
                    # The `kubernetes` Service gets no endpoints: a loopback address is not
                    # a valid endpoint, and nothing in the sandbox dials it from a pod.
                    "--endpoint-reconciler-type=none",
                    f"--secure-port={layout.apiserver_port}",
                    f"--tls-cert-file={pki.serving_cert}",
                    f"--tls-private-key-file={pki.serving_key}",
                    f"--client-ca-file={pki.ca_cert}",
                    # Request-header authentication, for the fault-injecting proxy users reach us through.
                    f"--requestheader-client-ca-file={pki.ca_cert}",
                    f"--requestheader-allowed-names={FRONT_PROXY_USER}",
                    "--requestheader-username-headers=X-Remote-User",
                    "--requestheader-group-headers=X-Remote-Group",
                    "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    f"--service-account-key-file={pki.service_account_pub}",
                    f"--service-account-signing-key-file={pki.service_account_key}",
                    f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                    # EKS bearer tokens (k8s-aws-v1.*) are checked by the AWS stand-in, as EKS's
                    # authenticator checks them against STS.
                    f"--authentication-token-webhook-config-file={self._token_webhook}",
                    "--authentication-token-webhook-version=v1",
                    "--authorization-mode=Node,RBAC",
                    "--allow-privileged=true",
                    "--profiling=false",
                    f"--audit-policy-file={self._audit_policy}",
                    f"--audit-log-path={layout.writes_dir / AUDIT_LOG}",
                    "--audit-log-format=json",
                    "--audit-log-maxsize=0",
                    "--audit-log-mode=blocking",
                    # Benchmarks create thousands of objects at once.
                    "--max-requests-inflight=1000",
                    "--max-mutating-requests-inflight=500",
                ],
                lambda: http_ok(f"{layout.apiserver_url}/readyz", self._admin_tls()),
                layout.apiserver_url,
                start_timeout=90.0,
            ),
            Component(
                "kube-controller-manager",
                [
                    tool("kube-controller-manager"),
                    *delegated_auth("kube-controller-manager"),
                    f"--secure-port={layout.controller_manager_port}",
                    f"--service-account-private-key-file={pki.service_account_key}",
                    f"--root-ca-file={pki.ca_cert}",
                    f"--cluster-signing-cert-file={pki.ca_cert}",
                    f"--cluster-signing-key-file={pki.ca_key}",
                    "--use-service-account-credentials=true",
                    f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                ],
                lambda: http_ok(f"{kcm_url}/healthz", unverified_tls()),
                kcm_url,
            ),
            Component(
                "kube-scheduler",
                [tool("kube-scheduler"), *delegated_auth("kube-scheduler"), f"--secure-port={layout.scheduler_port}"],
                lambda: http_ok(f"{scheduler_url}/healthz", unverified_tls()),
                scheduler_url,
            ),
            Component(
                "kwok",
                [
                    tool("kwok"),
                    f"--kubeconfig={self.kubeconfig_for('kwok')}",
                    f"--config={self.kwok_stages}",
                    # Nodes renew a Lease like kubelets do; the node lifecycle controller reads it.
                    "--node-lease-duration-seconds=40",
                    "--manage-all-nodes=false",
                    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                    f"--cidr={POD_CIDR}",
                    f"--server-address={LOOPBACK}:{layout.kwok_port}",
                ],
                lambda: http_ok(f"{kwok_url}/healthz"),
                kwok_url,
            ),
            # What users' kubeconfig points at: `sandbox faults set kubernetes ...` fails their
            # requests here; the components above talk to the apiserver directly.
            Component(
                "kube-fault-proxy",
                [
                    sys.executable,
                    "-m",
                    "bespin_sandbox.kubeproxy",
                    f"--listen-port={layout.kube_proxy_port}",
                    f"--upstream-port={layout.apiserver_port}",
                    f"--ca={pki.ca_cert}",
                    f"--cert={pki.serving_cert}",
                    f"--key={pki.serving_key}",
                    f"--proxy-cert={pki.client_cert(FRONT_PROXY_IDENTITY)}",
                    f"--proxy-key={pki.client_key(FRONT_PROXY_IDENTITY)}",
                    f"--faults={layout.faults_file}",
                ],
                lambda: http_ok(fault_proxy_health, self._admin_tls()),
                self.kube_proxy_url,
            ),
        ]

    def seed(self, topology: Topology, log: Callable[[str], None]) -> None:
        api = cluster.connect(self.kubeconfig_for("sandbox"))
        try:
            previous = load(self.layout.topology_file) if self.layout.topology_file.exists() else None
            if self.layout.seed_file.exists() and previous and not previous.same_cluster_as(topology):
                log("kubernetes: topology changed: resetting and reseeding")
                cluster.reset(api, self._snapshot(), topology)
                self.layout.seed_file.unlink()
            started = time.monotonic()
            changes = cluster.seed_nodes(api, topology)
            if any(changes.values()):
                summary = ", ".join(f"{count} {what}" for what, count in changes.items())
                log(f"kubernetes: nodes {summary} in {time.monotonic() - started:.1f}s")
            cluster.wait_nodes_ready(api, topology, timeout=60 + topology.node_count / 5)
            if any(changes.values()):
                log(f"kubernetes: {topology.node_count} nodes Ready after {time.monotonic() - started:.1f}s")
            cluster.wait_default_service_account(api, timeout=60)
            if not self.layout.seed_file.exists():
                self.layout.seed_file.write_text(json.dumps(cluster.snapshot(api)))
        finally:
            api.close()

    def reset(self, topology: Topology) -> int:
        api = cluster.connect(self.kubeconfig_for("sandbox"))
        try:
            return cluster.reset(api, self._snapshot(), topology)
        finally:
            api.close()

    def env(self) -> dict[str, str]:
        kubeconfig = str(self.layout.kubeconfig)
        # kubernetes.core modules read K8S_AUTH_KUBECONFIG when kubeconfig is not passed.
        return {"KUBECONFIG": kubeconfig, "K8S_AUTH_KUBECONFIG": kubeconfig}

    # Helpers ----------------------------------------------------------------------

    def _snapshot(self) -> dict[str, list[str]]:
        if not self.layout.seed_file.exists():
            raise cluster.ClusterError("the cluster has not been seeded: run `sandbox up` first")
        return json.loads(self.layout.seed_file.read_text())

    def _admin_tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        context.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return context

    def _write_token_webhook(self) -> None:
        server = f"http://{LOOPBACK}:{self.layout.aws_port}/bespin-api/eks/token-review"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "eks-authenticator", "cluster": {"server": server}}],
            "users": [{"name": "kube-apiserver", "user": {}}],
            "contexts": [{"name": "webhook", "context": {"cluster": "eks-authenticator", "user": "kube-apiserver"}}],
            "current-context": "webhook",
        }
        self._token_webhook.write_text(yaml.safe_dump(config, sort_keys=False))

    def _write_kubeconfigs(self) -> None:
        """One kubeconfig per client identity; the admin one is what users get, through the fault proxy."""
        for identity in CLIENT_IDENTITIES:
            server = self.kube_proxy_url if identity == "admin" else self.layout.apiserver_url
            self._write_kubeconfig(identity, self.kubeconfig_for(identity), server)

    def _write_kubeconfig(self, identity: str, path: Path, server: str) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": CONTEXT,
                    "cluster": {"server": server, "certificate-authority": str(self.pki.ca_cert)},
                }
            ],
            "users": [
                {
                    "name": identity,
                    "user": {
                        "client-certificate": str(self.pki.client_cert(identity)),
                        "client-key": str(self.pki.client_key(identity)),
                    },
                }
            ],
            "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": identity}}],
            "current-context": CONTEXT,
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
