"""The sandbox's Kubernetes side is a real control plane with EKS-like nodes."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from bespin_sandbox import topology as topologies

pytestmark = pytest.mark.sandbox
GO_MOD = Path(__file__).resolve().parents[3] / "sandbox" / "kube" / "go.mod"


@pytest.fixture(scope="module")
def api(sandbox):
    return config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig))


@pytest.fixture(scope="module")
def topology(sandbox):
    return topologies.load(sandbox.layout.topology_file)


@pytest.fixture
def namespace(api, request):
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50].strip("-")
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def kubectl_json(*args: str) -> dict:
    result = subprocess.run(["kubectl", *args, "-o", "json"], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_kubectl_talks_to_the_pinned_kube_apiserver(sandbox):
    pinned = re.search(r"^\s*k8s\.io/kubernetes (v\S+)", GO_MOD.read_text(), re.MULTILINE).group(1)
    version = kubectl_json("version")
    assert version["serverVersion"]["gitVersion"] == pinned
    assert version["clientVersion"]["gitVersion"] == pinned


def test_nodes_match_the_topology_and_are_ready(sandbox, topology):
    listed = {item["metadata"]["name"]: item for item in kubectl_json("get", "nodes")["items"]}
    expected = {node.name: node for node in topology.nodes()}
    assert set(listed) == set(expected)
    for name, node in expected.items():
        item = listed[name]
        labels = item["metadata"]["labels"]
        assert labels["eks.amazonaws.com/nodegroup"] == node.nodegroup.name
        assert labels["topology.kubernetes.io/zone"] == node.zone
        assert labels["node.kubernetes.io/instance-type"] == node.nodegroup.instance_type
        assert item["spec"]["providerID"] == node.provider_id
        assert {"type": "InternalIP", "address": node.private_ip} in item["status"]["addresses"]
        ready = [c for c in item["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", f"{name} is not Ready"


def deployment(name: str, nodegroup: str, tolerate: bool) -> dict:
    pod_spec = {
        "nodeSelector": {"eks.amazonaws.com/nodegroup": nodegroup},
        "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}],
    }
    if tolerate:
        pod_spec["tolerations"] = [
            {"key": "dedicated", "operator": "Equal", "value": nodegroup, "effect": "NoSchedule"}
        ]
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
        },
    }


def wait_for_pods(core, namespace, selector, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(namespace, label_selector=selector).items
        if pods and all(predicate(pod) for pod in pods):
            return pods
        time.sleep(0.5)
    raise AssertionError(f"pods {selector} never satisfied the condition: {[p.status.phase for p in pods]}")


def tainted_nodegroup(topology) -> str:
    return next(g.name for g in topology.nodegroups if g.taints and g.count)


def test_scheduler_places_tolerating_pods_on_the_tainted_nodegroup(api, topology, namespace):
    group = tainted_nodegroup(topology)
    client.AppsV1Api(api).create_namespaced_deployment(namespace, deployment("tolerant", group, tolerate=True))
    core = client.CoreV1Api(api)
    pods = wait_for_pods(core, namespace, "app=tolerant", lambda p: p.status.phase == "Running")
    group_nodes = {n.name for n in topology.nodes() if n.nodegroup.name == group}
    assert len(pods) == 2
    assert {pod.spec.node_name for pod in pods} <= group_nodes
    assert all(pod.status.pod_ip for pod in pods)


def test_pods_without_the_toleration_stay_pending(api, topology, namespace):
    group = tainted_nodegroup(topology)
    client.AppsV1Api(api).create_namespaced_deployment(namespace, deployment("intolerant", group, tolerate=False))
    core = client.CoreV1Api(api)

    def unschedulable(pod):
        conditions = {c.type: c for c in pod.status.conditions or []}
        scheduled = conditions.get("PodScheduled")
        return pod.status.phase == "Pending" and scheduled is not None and scheduled.reason == "Unschedulable"

    pods = wait_for_pods(core, namespace, "app=intolerant", unschedulable)
    assert all(pod.spec.node_name is None for pod in pods)
    scheduled = next(c for c in pods[0].status.conditions if c.type == "PodScheduled")
    assert "untolerated taint" in scheduled.message


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.sandbox.bespin.io"},
    "spec": {
        "group": "sandbox.bespin.io",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"size": {"type": "integer"}, "color": {"type": "string"}},
                            }
                        },
                    }
                },
            }
        ],
    },
}


def test_custom_resources_after_the_crd_is_established(api, namespace):
    extensions = client.ApiextensionsV1Api(api)
    extensions.create_custom_resource_definition(CRD)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        crd = extensions.read_custom_resource_definition(CRD["metadata"]["name"])
        if any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or []):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the CRD never became Established")

    custom = client.CustomObjectsApi(api)
    args = ("sandbox.bespin.io", "v1", namespace, "widgets")
    widget = {"apiVersion": "sandbox.bespin.io/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 1}}
    created = custom.create_namespaced_custom_object(*args, widget)
    assert created["spec"] == {"size": 1}

    patched = custom.patch_namespaced_custom_object(*args, "w1", {"spec": {"size": 2}})
    assert patched["spec"]["size"] == 2

    # Server-side apply: a second field manager owns `color`, and the apiserver records both.
    applied = api.call_api(
        f"/apis/sandbox.bespin.io/v1/namespaces/{namespace}/widgets/w1",
        "PATCH",
        query_params=[("fieldManager", "bespin-test"), ("force", "true")],
        header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
        body={
            "apiVersion": "sandbox.bespin.io/v1",
            "kind": "Widget",
            "metadata": {"name": "w1"},
            "spec": {"color": "blue"},
        },
        auth_settings=["BearerToken"],
        _preload_content=False,
    )
    body = json.loads(applied.data)
    assert body["spec"] == {"size": 2, "color": "blue"}
    assert "bespin-test" in {entry["manager"] for entry in body["metadata"]["managedFields"]}


def test_reset_removes_new_objects_and_restores_node_labels(sandbox, api, topology):
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "reset-probe"}})
    node = topology.nodes()[0]
    core.patch_node(
        node.name,
        {
            "metadata": {"labels": {"probe": "yes"}},
            "spec": {"taints": [{"key": "probe", "value": "yes", "effect": "NoSchedule"}]},
        },
    )

    result = subprocess.run(["sandbox", "reset"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr

    with pytest.raises(ApiException) as missing:
        core.read_namespace("reset-probe")
    assert missing.value.status == 404
    restored = core.read_node(node.name)
    assert "probe" not in restored.metadata.labels
    assert all(t.key != "probe" for t in restored.spec.taints or [])
