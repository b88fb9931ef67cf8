"""Write accounting counts exactly a client's Kubernetes writes; injected faults reach clients.

Users' kubeconfig points at the fault-injecting proxy in front of kube-apiserver,
so `sandbox faults set kubernetes ...` fails a known, seeded share of their
requests while the control plane keeps working.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import urllib3
import yaml
from kubernetes import client, config

from bespin_sandbox.faults import FaultPlan

pytestmark = pytest.mark.sandbox
GETS = 20


def sandbox_cli(*args: str) -> str:
    result = subprocess.run(["sandbox", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def api(sandbox):
    return config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig))


@pytest.fixture
def faults(sandbox):
    """Set fault plans in a test; every plan is cleared afterwards, whatever happens."""
    sandbox_cli("faults", "clear")
    yield lambda *rates, seed=0: sandbox_cli("faults", "set", "kubernetes", *rates, "--seed", str(seed))
    sandbox_cli("faults", "clear")


@dataclass
class RawClient:
    """One plain GET per call, with the user kubeconfig's server and credentials (no client-side retries)."""

    session: requests.Session
    server: str
    ca: str

    def get(self) -> requests.Response:
        # verify per request: a session's own is overridden by REQUESTS_CA_BUNDLE, which `sandbox env` sets.
        return self.session.get(f"{self.server}/api/v1/namespaces/default", verify=self.ca, timeout=10)


@pytest.fixture(scope="module")
def raw(sandbox):
    kubeconfig = yaml.safe_load(sandbox.layout.kubeconfig.read_text())
    cluster, user = kubeconfig["clusters"][0]["cluster"], kubeconfig["users"][0]["user"]
    with requests.Session() as session:
        session.cert = (user["client-certificate"], user["client-key"])
        yield RawClient(session, cluster["server"], cluster["certificate-authority"])


def statuses(raw: RawClient, count: int) -> list[int]:
    return [raw.get().status_code for _draw in range(count)]


def predicted(faults_file: Path, tmp_path: Path, count: int) -> list[str | None]:
    """What the plan decides for `count` fresh requests, computed offline from a copy of it."""
    copy = tmp_path / "faults.json"
    copy.write_text(faults_file.read_text())
    plan = FaultPlan(copy, "kubernetes")
    return [plan.decide() for _draw in range(count)]


# Faults -------------------------------------------------------------------------------


def test_the_user_kubeconfig_goes_through_the_proxy_and_works_without_faults(sandbox, faults):
    server = yaml.safe_load(sandbox.layout.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    assert server == f"https://127.0.0.1:{sandbox.layout.kube_proxy_port}"
    nodes = subprocess.run(["kubectl", "get", "nodes", "-o", "json"], capture_output=True, check=True).stdout
    assert json.loads(nodes)["items"]
    whoami = subprocess.run(["kubectl", "auth", "whoami", "-o", "json"], capture_output=True, check=True).stdout
    assert json.loads(whoami)["status"]["userInfo"]["username"] == "bespin-admin"


def test_throttling_fails_the_seeded_share_of_requests(sandbox, faults, raw, tmp_path):
    faults("throttling=0.5", seed=7)
    decisions = predicted(sandbox.layout.faults_file, tmp_path, GETS)
    expected = [429 if fault == "throttling" else 200 for fault in decisions]
    first = statuses(raw, GETS)
    assert first == expected
    assert 4 <= first.count(429) <= 16, "about half of the requests are throttled"

    # The same plan and seed, set again, meets the same requests with the same faults.
    sandbox_cli("faults", "clear")
    faults("throttling=0.5", seed=7)
    assert statuses(raw, GETS) == first


def test_a_throttled_request_looks_like_the_apiservers_own(faults, raw):
    faults("throttling=1")
    response = raw.get()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json() | {"message": ""} == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "",
        "reason": "TooManyRequests",
        "code": 429,
    }


def test_server_errors_carry_a_status(faults, raw):
    faults("error503=1")
    response = raw.get()
    assert (response.status_code, response.json()["reason"]) == (503, "ServiceUnavailable")
    faults("error500=1")
    response = raw.get()
    assert (response.status_code, response.json()["reason"]) == (500, "InternalError")


def test_a_client_that_retries_gets_through_throttling(sandbox, faults):
    faults("throttling=0.5", seed=3)
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(sandbox.layout.kubeconfig), client_configuration=configuration)
    configuration.retries = urllib3.Retry(total=10, status_forcelist=[429], allowed_methods=None, backoff_factor=0)
    with client.ApiClient(configuration) as api:
        namespaces = [item.metadata.name for item in client.CoreV1Api(api).list_namespace().items]
    assert "default" in namespaces


def test_a_reset_fault_drops_the_connection(faults, raw):
    faults("reset=1")
    with pytest.raises(requests.exceptions.ConnectionError):
        raw.get()
    # --raw: `kubectl get` would retry discovery until its request timeout.
    kubectl = subprocess.run(
        ["kubectl", "get", "--raw", "/api/v1/namespaces"], capture_output=True, text=True, check=False
    )
    assert kubectl.returncode != 0
    assert "connection reset by peer" in kubectl.stderr


# Write accounting -----------------------------------------------------------------------


def test_writes_since_a_mark_are_exactly_the_clients(sandbox, api, faults):
    core = client.CoreV1Api(api)
    token = sandbox_cli("writes", "--mark").strip()

    core.create_namespace({"metadata": {"name": "accounting"}})
    configmap = {"metadata": {"name": "settings"}, "data": {"colour": "blue"}}
    core.create_namespaced_config_map("accounting", configmap)
    core.patch_namespaced_config_map("settings", "accounting", {"data": {"colour": "green"}})
    core.create_namespaced_config_map("accounting", {"metadata": {"name": "draft"}}, dry_run="All")
    core.delete_namespaced_config_map("settings", "accounting")

    expected = {"create": 2, "create (dry-run)": 1, "delete": 1, "patch": 1}
    assert kubernetes_writes_since(token) == expected
    # Meanwhile the namespace controller, kwok and the scheduler keep writing: none of it counts.
    time.sleep(3)
    assert kubernetes_writes_since(token) == expected


def kubernetes_writes_since(token: str) -> dict[str, int]:
    # Only the Kubernetes counts: other services' emulators may serve other clients meanwhile.
    return json.loads(sandbox_cli("writes", "--since", token, "--json")).get("kubernetes", {})
