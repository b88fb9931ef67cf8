"""Run the real Argo CD and Argo Rollouts processes for the workloads their charts install.

No container runs in the sandbox: kwok marks the charts' pods Running, and
nothing would act on an Application or a Rollout. This supervisor plays the
kubelet for those workloads only. Every few seconds it looks for the stand-in
charts' Argo CD and Argo Rollouts workloads; for each one found it starts the
upstream binary the pod would run (built from its Go module by
sandbox/scripts/build-argo.sh), as that pod's service account (a token from the
TokenRequest API), on loopback, through the fault proxy users' clients reach the
API server by. Argo CD gets a Redis of its own (never the session store's, which
the drills kill). A component whose workload goes away (helm uninstall,
``sandbox reset``) is stopped; one that exits is started again, with backoff.

The processes read their settings from the cluster as in a pod: argocd-cm,
argocd-rbac-cm, argocd-secret, the repository Secrets and the AppProjects
directly; argocd-cmd-params-cm (and argocd-cm's reconciliation timeouts)
through the environment variables upstream's own pod specs wire them to
(``chart_env_mapping``). What a pod would reach by a Service's DNS name (the repo
server, Redis) is given as a loopback address instead: the sandbox has no
cluster DNS or kube-proxy.

State (kubeconfigs with the tokens, Redis, the repo server's checkouts) lives in
``<sandbox>/argo``; each process logs to ``<sandbox>/logs/<name>.log``;
``<sandbox>/argo/processes.json`` says what runs, for ``sandbox status``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from .layout import LOOPBACK, REPO_ROOT, Layout
from .tools import without_proxies

POLL_SECONDS = 2.0
# The supervisor's own port, where it answers GET /status with processes.json.
STATUS_PORT_OFFSET = 29
TOKEN_SECONDS = 24 * 3600
STATUS_FILE = "processes.json"
REDIS_SERVER = "/usr/bin/redis-server"
STAND_IN = "bespin.platform/stand-in=true"
# Argo CD's in-cluster destination is the kubeconfig's cluster outside a pod.
ARGOCD_ENV = {"ARGOCD_FAKE_IN_CLUSTER": "true", "ARGOCD_GPG_ENABLED": "false"}

# Where each component's settings come from in a pod: the pinned Argo CD module's own
# manifests (manifests/base/<component>/*.yaml) wire every environment variable to a key
# of argocd-cmd-params-cm or argocd-cm. They are read from the Go module cache at run
# time, never copied: the mapping is upstream's, exactly.
_MANIFESTS = {
    "application-controller": "application-controller/argocd-application-controller-statefulset.yaml",
    "repo-server": "repo-server/argocd-repo-server-deployment.yaml",
    "server": "server/argocd-server-deployment.yaml",
    "applicationset-controller": "applicationset-controller/argocd-applicationset-controller-deployment.yaml",
}


@functools.cache  # read once: the supervisor asks on every poll, and the pinned module never changes under it
def chart_env_mapping(manifests: Path, component: str) -> dict[str, tuple[str, str]]:
    """environment variable -> (ConfigMap, key), as upstream's pod spec for `component` has them."""
    mapping = {}
    for document in yaml.safe_load_all((manifests / _MANIFESTS[component]).read_text()):
        for container in ((document or {}).get("spec") or {}).get("template", {}).get("spec", {}).get("containers", []):
            for variable in container.get("env") or []:
                reference = (variable.get("valueFrom") or {}).get("configMapKeyRef")
                if reference:
                    mapping[variable["name"]] = (reference["name"], reference["key"])
    return mapping


def parameter_env(mapping: dict[str, tuple[str, str]], config_maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The environment a pod gets from the ConfigMaps (a missing key leaves its variable unset, as optional refs do)."""
    return {
        name: config_maps[config_map][key]
        for name, (config_map, key) in mapping.items()
        if key in config_maps.get(config_map, {})
    }


def argocd_manifests(argocd_module_dir: Path) -> Path:
    """manifests/base of the Argo CD module sandbox/argocd/go.mod pins, in the Go module cache."""
    go_mod = (argocd_module_dir / "go.mod").read_text()
    version = next(
        line.split()[1] for line in go_mod.splitlines() if line.strip().startswith("github.com/argoproj/argo-cd/v3 ")
    )
    cache = (
        os.environ.get("GOMODCACHE")
        or subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    )
    return Path(cache) / f"github.com/argoproj/argo-cd/v3@{version}" / "manifests" / "base"


@dataclass(frozen=True)
class Workload:
    """A chart's Deployment or StatefulSet the supervisor plays."""

    namespace: str
    name: str
    part_of: str  # argocd | argo-rollouts
    component: str
    service_account: str
    args: tuple[str, ...] = ()

    @classmethod
    def from_object(cls, item: dict) -> Workload:
        labels = item["metadata"].get("labels", {})
        pod = item["spec"]["template"]["spec"]
        container = pod["containers"][0]
        return cls(
            namespace=item["metadata"]["namespace"],
            name=item["metadata"]["name"],
            part_of=labels.get("app.kubernetes.io/part-of", ""),
            component=labels.get("app.kubernetes.io/component", ""),
            service_account=pod.get("serviceAccountName") or "default",
            args=tuple(container.get("args", ())),
        )


@dataclass
class Process:
    """One supervised process: what it plays and how it is started."""

    name: str
    workload: Workload | None
    argv: list[str]
    env: dict[str, str]
    port: int | None
    popen: subprocess.Popen | None = None
    starts: int = 0
    next_start: float = 0.0
    fingerprint: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # What the process was started from: a change (new settings, a new workload) restarts it,
        # as the chart's config checksums in the pod template restart a pod.
        source = json.dumps([self.argv, self.env, self.workload and self.workload.args], sort_keys=True)
        self.fingerprint = hashlib.sha256(source.encode()).hexdigest()

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class Supervisor:
    def __init__(self, layout: Layout, argo_bin: Path, tools_bin: Path):
        self.layout = layout
        self.argo_bin = argo_bin
        self.tools_bin = tools_bin
        self.state = layout.argo_dir
        self.manifests = argocd_manifests(REPO_ROOT / "sandbox" / "argocd")
        self.processes: dict[str, Process] = {}
        self.state.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o700)
        from .cluster import connect

        self.api = connect(layout.root / "kubeconfig-sandbox")

    # The loop ---------------------------------------------------------------------

    def serve_status(self) -> None:
        """GET /status on loopback: the health probe of `sandbox up`, and what `sandbox status` shows."""
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    body = (state / STATUS_FILE).read_bytes()
                except OSError:
                    self.send_error(503, "no reconciliation yet")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        server = ThreadingHTTPServer((LOOPBACK, self.layout.argo_port(STATUS_PORT_OFFSET)), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def run(self) -> None:
        self.serve_status()
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        signal.signal(signal.SIGINT, lambda *_: stop.append(True))
        while not stop:
            try:
                self.reconcile()
            except Exception as exc:
                print(f"argo: reconcile failed: {exc}", file=sys.stderr, flush=True)
            self._write_status()
            for _ in range(int(POLL_SECONDS * 10)):
                if stop:
                    break
                time.sleep(0.1)
        for process in reversed(list(self.processes.values())):
            self._stop(process)
        self._write_status()

    def reconcile(self) -> None:
        wanted = self.desired(self.workloads())
        for name in [name for name in self.processes if name not in wanted]:
            self._stop(self.processes.pop(name))
        for name, process in wanted.items():
            current = self.processes.get(name)
            if current is not None and current.fingerprint != process.fingerprint:
                self._stop(self.processes.pop(name))  # its workload or settings changed: start it anew
                current = None
            if current is None:
                self.processes[name] = current = process
            if not current.running() and time.monotonic() >= current.next_start:
                self._start(current)

    # What should run ----------------------------------------------------------------

    def workloads(self) -> list[Workload]:
        found = []
        for kind in ("deployments", "statefulsets"):
            items = self._get(f"/apis/apps/v1/{kind}", {"labelSelector": STAND_IN})["items"]
            found += [Workload.from_object(item) for item in items if not item["metadata"].get("deletionTimestamp")]
        return [w for w in found if w.part_of in ("argocd", "argo-rollouts")]

    def desired(self, workloads: list[Workload]) -> dict[str, Process]:
        """The processes for the first Argo CD and the first Argo Rollouts installation found."""
        wanted: dict[str, Process] = {}
        argocd = [w for w in workloads if w.part_of == "argocd"]
        if argocd:
            namespace = sorted(w.namespace for w in argocd)[0]
            by_component = {w.component: w for w in argocd if w.namespace == namespace}
            wanted.update(self._argocd(namespace, by_component))
        rollouts = sorted(
            (w for w in workloads if w.part_of == "argo-rollouts" and w.component == "rollouts-controller"),
            key=lambda w: w.namespace,
        )
        if rollouts:
            wanted.update(self._rollouts(rollouts[0]))
        return wanted

    def _argocd(self, namespace: str, workloads: dict[str, Workload]) -> dict[str, Process]:
        port = self.layout.argo_port
        redis = f"{LOOPBACK}:{port(0)}"
        repo_server = f"{LOOPBACK}:{port(1)}"
        config_maps = {name: self._config_map(namespace, name) for name in ("argocd-cmd-params-cm", "argocd-cm")}
        plain_repo = ["--repo-server", repo_server, "--repo-server-plaintext"]
        # component -> (port it serves, its own flags)
        commands = {
            "repo-server": (
                port(1),
                [
                    "--address",
                    LOOPBACK,
                    "--port",
                    str(port(1)),
                    "--metrics-address",
                    LOOPBACK,
                    "--metrics-port",
                    str(port(2)),
                    "--disable-tls",
                    "--redis",
                    redis,
                ],
            ),
            "server": (
                port(3),
                [
                    "--address",
                    LOOPBACK,
                    "--port",
                    str(port(3)),
                    "--metrics-address",
                    LOOPBACK,
                    "--metrics-port",
                    str(port(4)),
                    "--insecure",
                    "--redis",
                    redis,
                    "--dex-server",
                    "",
                    *plain_repo,
                ],
            ),
            "application-controller": (
                port(5),
                ["--metrics-port", str(port(5)), "--redis", redis, *plain_repo],
            ),
            "applicationset-controller": (
                port(7),
                [
                    "--metrics-addr",
                    f"{LOOPBACK}:{port(6)}",
                    "--probe-addr",
                    f"{LOOPBACK}:{port(7)}",
                    "--webhook-addr",
                    f"{LOOPBACK}:{port(8)}",
                    "--argocd-repo-server",
                    repo_server,
                    "--repo-server-plaintext",
                    "--enable-leader-election=false",
                ],
            ),
        }
        wanted = {}
        # Argo CD always needs its Redis (the chart's redis or redis-ha): one on loopback, its data in the state dir.
        redis_dir = self.state / "redis"
        redis_dir.mkdir(exist_ok=True)
        wanted["argocd-redis"] = Process(
            "argocd-redis",
            None,
            [
                REDIS_SERVER,
                "--bind",
                LOOPBACK,
                "--port",
                str(port(0)),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(redis_dir),
                "--protected-mode",
                "yes",
            ],
            {},
            port(0),
        )
        for component, (serving, flags) in commands.items():
            workload = workloads.get(component)
            if workload is None:
                continue
            program = f"argocd-{component}"
            env = {**ARGOCD_ENV, **parameter_env(chart_env_mapping(self.manifests, component), config_maps)}
            if component == "repo-server":
                # git, helm and kustomize from PATH, as in the image; checkouts in the state dir.
                env["PATH"] = os.pathsep.join([str(self.argo_bin), str(self.tools_bin), os.environ.get("PATH", "")])
                env["TMPDIR"] = str(self._dir("repo-server-tmp"))
                env["HOME"] = str(self._dir("repo-server-home"))
                # Its git credentials socket (default /tmp/reposerver-ask-pass.sock, which a starting repo
                # server deletes first): one per sandbox, so that two sandboxes never take it from each other.
                env["ARGOCD_ASK_PASS_SOCK"] = str(self.state / "ask-pass.sock")
            name = workload.name
            # The repo server never talks to the API server: it has no namespace flag.
            scope = [] if component == "repo-server" else ["--namespace", namespace]
            wanted[name] = Process(
                name,
                workload,
                [str(self.argo_bin / program), *flags, *scope],
                env,
                serving,
            )
        return wanted

    def _rollouts(self, workload: Workload) -> dict[str, Process]:
        port = self.layout.argo_port
        flags = [a for a in workload.args if a.startswith(("--loglevel", "--logformat", "--namespaced"))]
        argv = [
            str(self.argo_bin / "rollouts-controller"),
            *flags,
            "--metricsport",
            str(port(10)),
            "--healthzPort",
            str(port(11)),
            "--leader-elect=false",
        ]
        if "--namespaced" in flags:
            argv += ["--namespace", workload.namespace]
        return {workload.name: Process(workload.name, workload, argv, {}, port(11))}

    # Starting and stopping ---------------------------------------------------------

    def _start(self, process: Process) -> None:
        argv, env = list(process.argv), dict(process.env)
        if process.workload is not None and process.workload.component != "repo-server":
            kubeconfig = str(self._kubeconfig(process.workload))
            # The flag for the process's own client; KUBECONFIG for what reads the default
            # loading rules (Argo CD's fake in-cluster destination).
            argv += ["--kubeconfig", kubeconfig]
            env["KUBECONFIG"] = kubeconfig
        log = open(self.layout.log_dir / f"{process.name}.log", "ab")  # noqa: SIM115 - handed to the child
        with log:
            log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {' '.join(argv)}\n".encode())
            log.flush()
            # The supervisor's own process group: `sandbox down` stops it and them as one.
            process.popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**without_proxies(os.environ), **env},
                cwd=self.state,
                close_fds=True,
            )
        process.starts += 1
        # A process that keeps exiting is started again later and later, up to a minute apart.
        process.next_start = time.monotonic() + min(60.0, 2.0 ** min(process.starts, 6))
        print(f"argo: started {process.name} (pid {process.popen.pid})", flush=True)

    def _stop(self, process: Process) -> None:
        if process.running():
            process.popen.terminate()
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()
            print(f"argo: stopped {process.name}", flush=True)

    def _kubeconfig(self, workload: Workload) -> Path:
        """A kubeconfig holding a fresh token of the workload's service account, readable by us alone."""
        response = self._call(
            f"/api/v1/namespaces/{workload.namespace}/serviceaccounts/{workload.service_account}/token",
            "POST",
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"expirationSeconds": TOKEN_SECONDS},
            },
        )
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "sandbox",
                    "cluster": {
                        "server": f"https://{LOOPBACK}:{self.layout.kube_proxy_port}",
                        "certificate-authority": str(self.layout.pki_dir / "ca.crt"),
                    },
                }
            ],
            "users": [{"name": workload.service_account, "user": {"token": response["status"]["token"]}}],
            "contexts": [
                {
                    "name": "sandbox",
                    "context": {
                        "cluster": "sandbox",
                        "user": workload.service_account,
                        "namespace": workload.namespace,
                    },
                }
            ],
            "current-context": "sandbox",
        }
        path = self.state / f"kubeconfig-{workload.name}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
        return path

    # Status -------------------------------------------------------------------------

    def _write_status(self) -> None:
        rows = [
            {
                "name": p.name,
                "pid": p.popen.pid if p.running() else None,
                "port": p.port,
                "healthy": p.running() and (p.port is None or _listening(p.port)),
                "starts": p.starts,
            }
            for p in self.processes.values()
        ]
        temporary = self.state / f".{STATUS_FILE}.tmp"
        temporary.write_text(json.dumps(rows, indent=2))
        temporary.replace(self.state / STATUS_FILE)

    # API helpers --------------------------------------------------------------------

    def _dir(self, name: str) -> Path:
        path = self.state / name
        path.mkdir(exist_ok=True)
        return path

    def _config_map(self, namespace: str, name: str) -> dict[str, str]:
        try:
            return self._get(f"/api/v1/namespaces/{namespace}/configmaps/{name}").get("data") or {}
        except Exception:
            return {}

    def _get(self, path: str, query: dict | None = None) -> dict:
        return self._call(path, "GET", query=query)

    def _call(self, path: str, method: str, body: dict | None = None, query: dict | None = None) -> dict:
        response = self.api.call_api(
            path,
            method,
            body=body,
            query_params=list((query or {}).items()),
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=20,
        )
        return json.loads(response.data)


def read_status(layout: Layout) -> list[dict]:
    """What the supervisor says runs (for `sandbox status`); nothing when it is not running."""
    try:
        return json.loads((layout.argo_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return []


def status_url(layout: Layout) -> str:
    return f"http://{LOOPBACK}:{layout.argo_port(STATUS_PORT_OFFSET)}/status"


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((LOOPBACK, port)) == 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--argo-bin", type=Path, required=True)
    parser.add_argument("--tools-bin", type=Path, required=True)
    parser.add_argument("--sandbox-dir", type=Path, required=True)
    parser.add_argument("--port-base", type=int, required=True)
    args = parser.parse_args(argv)
    layout = Layout(args.sandbox_dir, args.port_base)
    with contextlib.suppress(FileNotFoundError):
        (layout.argo_dir / STATUS_FILE).unlink()
    Supervisor(layout, args.argo_bin, args.tools_bin).run()


if __name__ == "__main__":
    main()
