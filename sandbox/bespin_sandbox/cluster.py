"""Talk to the sandbox's kube-apiserver: seed the nodes, snapshot, reset.

``reset`` brings the cluster back to the state right after seeding without
restarting anything: it deletes every object created since (found by uid
against the snapshot taken at seeding, over every listable resource type the
apiserver serves, custom ones included) and restores the seeded labels and
taints of the nodes. Webhooks and aggregated APIs go first, as a dead one would
block the deletes that follow.
"""

from __future__ import annotations

import functools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kubernetes import config
from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.rest import ApiException

from . import nodes as node_objects
from .topology import Topology

# Kinds whose objects controllers or kwok create and refresh on their own.
_NOT_RESET = {"events", "leases", "endpoints", "endpointslices", "nodes", "componentstatuses"}
# Deleted first, in this order: they can block the deletion of everything else.
_FIRST = [
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "apiservices",
    "customresourcedefinitions",
    "namespaces",
]
_WORKERS = 16


class ClusterError(RuntimeError):
    pass


def connect(kubeconfig: Path) -> ApiClient:
    return config.new_client_from_config(config_file=str(kubeconfig))


# Nodes ------------------------------------------------------------------------


def seed_nodes(api: ApiClient, topology: Topology) -> dict[str, int]:
    """Make the Node objects match the topology; returns counts of what changed."""
    core = CoreV1Api(api)
    desired = {node.name: node for node in topology.nodes()}
    existing = {item.metadata.name: item for item in core.list_node(resource_version="0").items}
    to_delete = [name for name in existing if name not in desired]
    to_create = [node for name, node in desired.items() if name not in existing]
    to_restore = [
        (desired[name], item)
        for name, item in existing.items()
        if name in desired and _drifted(item, desired[name], topology)
    ]

    def create(node):
        body = node_objects.manifest(node, topology)
        try:
            created = core.create_node(body)
        except ApiException as exc:
            # The cached list (resourceVersion 0) can lag behind a loaded apiserver: the node is there.
            if exc.status != 409:
                raise
            created = core.read_node(node.name)
        if not (created.status and created.status.allocatable):
            core.patch_node_status(node.name, {"status": body["status"]})

    def restore(pair):
        node, item = pair
        kept = [t.to_dict() for t in item.spec.taints or [] if t.key.startswith(node_objects.CONTROLLER_TAINT_PREFIX)]
        item.metadata.labels = node_objects.seeded_labels(node, topology)
        item.spec.taints = node_objects.seeded_taints(node) + [
            {k: v for k, v in t.items() if v is not None} for t in kept
        ]
        core.replace_node(node.name, item)

    with ThreadPoolExecutor(_WORKERS) as pool:
        list(pool.map(core.delete_node, to_delete))
        list(pool.map(create, to_create))
        list(pool.map(restore, to_restore))
    return {"created": len(to_create), "deleted": len(to_delete), "restored": len(to_restore)}


def _drifted(item, node, topology) -> bool:
    seeded = node_objects.seeded_taints(node)
    current = [
        {"key": t.key, "value": t.value or "", "effect": t.effect}
        for t in item.spec.taints or []
        if not t.key.startswith(node_objects.CONTROLLER_TAINT_PREFIX)
    ]
    return (item.metadata.labels or {}) != node_objects.seeded_labels(node, topology) or current != seeded


def wait_nodes_ready(api: ApiClient, topology: Topology, timeout: float) -> None:
    core = CoreV1Api(api)
    wanted = {node.name for node in topology.nodes()}
    deadline = time.monotonic() + timeout
    while True:
        ready = {
            item.metadata.name
            for item in core.list_node(resource_version="0").items
            if any(c.type == "Ready" and c.status == "True" for c in (item.status.conditions or []))
        }
        missing = wanted - ready
        if not missing:
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"{len(missing)} of {len(wanted)} nodes not Ready after {timeout:.0f}s")
        time.sleep(0.5)


def wait_default_service_account(api: ApiClient, timeout: float) -> None:
    """Pods cannot be created before the controller-manager made this account."""
    core = CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while True:
        try:
            core.read_namespaced_service_account("default", "default")
            return
        except ApiException as exc:
            if exc.status != 404 or time.monotonic() > deadline:
                raise ClusterError("the default ServiceAccount never appeared") from exc
        time.sleep(0.3)


# Snapshot and reset -------------------------------------------------------------


def _resource_types(api: ApiClient) -> list[tuple[str, str, bool]]:
    """(list path prefix, plural, namespaced) of every type that can be listed and deleted."""
    types = []
    groups = [("/api/v1", _get(api, "/api/v1"))]
    for group in _get(api, "/apis")["groups"]:
        version = group["preferredVersion"]["groupVersion"]
        try:
            groups.append((f"/apis/{version}", _get(api, f"/apis/{version}")))
        except ApiException:
            continue  # an aggregated API that is down: nothing of it can be listed
    for prefix, listing in groups:
        for resource in listing["resources"]:
            verbs = set(resource.get("verbs", []))
            if "/" in resource["name"] or not {"list", "delete"} <= verbs or resource["name"] in _NOT_RESET:
                continue
            types.append((prefix, resource["name"], resource["namespaced"]))
    return types


def _get(api: ApiClient, path: str, query: list | None = None) -> dict:
    response = api.call_api(
        path, "GET", query_params=query or [], auth_settings=["BearerToken"], _preload_content=False
    )
    return json.loads(response.data)


def _list(api: ApiClient, prefix: str, plural: str) -> list[dict]:
    try:
        return _get(api, f"{prefix}/{plural}", [("resourceVersion", "0")]).get("items", [])
    except ApiException as exc:
        if exc.status == 404:  # the type went away with its CRD earlier in this reset
            return []
        raise


def snapshot(api: ApiClient) -> dict[str, list[str]]:
    """The uids of every object that exists now, by resource type."""
    result = {}
    for prefix, plural, _namespaced in _resource_types(api):
        result[f"{prefix}/{plural}"] = sorted(item["metadata"]["uid"] for item in _list(api, prefix, plural))
    return result


def reset(api: ApiClient, seed: dict[str, list[str]], topology: Topology, timeout: float = 90) -> int:
    """Delete everything created since the snapshot; returns how many objects went."""
    keep = {uid for uids in seed.values() for uid in uids}
    types = sorted(_resource_types(api), key=lambda t: _FIRST.index(t[1]) if t[1] in _FIRST else len(_FIRST))
    doomed_namespaces: set[str] = set()
    deleted = 0
    for prefix, plural, namespaced in types:
        victims = [
            item
            for item in _list(api, prefix, plural)
            if item["metadata"]["uid"] not in keep
            and not (namespaced and item["metadata"].get("namespace") in doomed_namespaces)
        ]
        if plural == "namespaces":
            doomed_namespaces = {item["metadata"]["name"] for item in victims}
        with ThreadPoolExecutor(_WORKERS) as pool:
            list(pool.map(functools.partial(_delete, api, prefix, plural), victims))
        deleted += len(victims)
    _wait_gone(api, types, doomed_namespaces, timeout)
    seed_nodes(api, topology)
    return deleted


def _object_path(prefix: str, plural: str, item: dict) -> str:
    namespace = item["metadata"].get("namespace")
    scope = f"/namespaces/{namespace}" if namespace else ""
    return f"{prefix}{scope}/{plural}/{item['metadata']['name']}"


def _delete(api: ApiClient, prefix: str, plural: str, item: dict) -> None:
    body = {"propagationPolicy": "Background"}
    if plural == "pods":
        body["gracePeriodSeconds"] = 0
    try:
        api.call_api(
            _object_path(prefix, plural, item),
            "DELETE",
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
        )
    except ApiException as exc:
        if exc.status not in (404, 409):
            raise


def _wait_gone(api: ApiClient, types, namespaces: set[str], timeout: float) -> None:
    """Wait for deleted namespaces and CRDs; clear finalizers no controller here will ever clear."""
    deadline = time.monotonic() + timeout
    stripped = False
    while True:
        remaining = {
            item["metadata"]["name"]
            for item in _list(api, "/api/v1", "namespaces")
            if item["metadata"]["name"] in namespaces
        }
        terminating_crds = [
            item
            for item in _list(api, "/apis/apiextensions.k8s.io/v1", "customresourcedefinitions")
            if item["metadata"].get("deletionTimestamp")
        ]
        if not remaining and not terminating_crds:
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"reset: still terminating after {timeout:.0f}s: {sorted(remaining)}")
        if not stripped and time.monotonic() > deadline - timeout * 2 / 3:
            _strip_finalizers(api, types, remaining)
            stripped = True
        time.sleep(0.3)


def _strip_finalizers(api: ApiClient, types, namespaces: set[str]) -> None:
    for prefix, plural, namespaced in types:
        if plural in ("namespaces",):
            continue
        for item in _list(api, prefix, plural):
            in_scope = not namespaced or item["metadata"].get("namespace") in namespaces
            if in_scope and item["metadata"].get("deletionTimestamp") and item["metadata"].get("finalizers"):
                api.call_api(
                    _object_path(prefix, plural, item),
                    "PATCH",
                    body={"metadata": {"finalizers": None}},
                    header_params={"Content-Type": "application/merge-patch+json"},
                    auth_settings=["BearerToken"],
                    _preload_content=False,
                )
