"""The Azure Resource Manager stand-in: one generic handler for every resource type.

Requests arrive as ``https://management.azure.com/...`` (tunnelled through the
proxy in server.py). Every resource is a JSON document stored under its id;
``resources.py`` adds per-type server-filled fields, embedded children, views
and actions. Long-running types answer 201/202 with an ``Azure-AsyncOperation``
URL whose status is already ``Succeeded`` (the work itself is instant here).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from .. import faults as fault_plan
from ..accounting import MUTATING_HTTP_METHODS, Journal
from . import ARM_HOST, SUBSCRIPTION_ID, SUBSCRIPTION_NAME, TENANT_ID, catalog
from .errors import ArmError, group_not_found, not_found
from .ids import ArmPath, parse
from .resources import GENERIC, SUBSCRIPTION_ACTIONS, Context, Kind, image_version_id, kind_of, now, props
from .store import State, Store

GROUP_TYPE = "Microsoft.Resources/resourceGroups"
# Seconds a client waits before polling a long-running operation. The shortest
# that works: "0" makes azure-core fall back to 30 s, and some SDKs (MySQL
# flexible servers) parse Retry-After as an integer.
POLL_AFTER = "1"
# Request bodies in the debug log hide what looks like a credential.
_SECRET = re.compile(r'("[A-Za-z]*(?:[Pp]assword|[Ss]ecret)[A-Za-z]*"\s*:\s*)"[^"]*"')
TOP_LEVEL_FIELDS = ("location", "tags", "sku", "kind", "identity", "zones", "plan", "extendedLocation", "managedBy")


@dataclass(frozen=True)
class ResourceRef:
    """An operation's result that is a resource: read when the client asks, so it is current."""

    id: str


class Reply:
    def __init__(self, status: int, body: object = None, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


class ArmApp:
    def __init__(self, store: Store, journal: Journal, faults: fault_plan.FaultPlan, azurite_url: str, debug=False):
        self.store, self.journal, self.faults = store, journal, faults
        self.azurite_url = azurite_url
        self.debug = debug
        self.operations: dict[str, object] = {}  # operation id -> result body of a finished action

    def __call__(self, environ, start_response):
        request = Request(environ)
        reply = self.handle(request)
        headers = {"x-ms-request-id": str(uuid.uuid4()), **reply.headers}
        if reply.body is None:
            response = Response(status=reply.status, headers=headers)
        else:
            response = Response(json.dumps(reply.body), reply.status, headers, content_type="application/json")
        if self.debug:
            sent = _SECRET.sub(r'\1"***"', request.get_data(as_text=True))
            print(
                f"{request.method} {request.full_path} {sent[:2000]} -> {reply.status} {json.dumps(reply.body)[:2000]}",
                file=sys.stderr,
                flush=True,
            )
        return response(environ, start_response)

    def handle(self, request: Request) -> Reply:
        if request.path == "/healthz":
            return Reply(200, {"status": "ok"})
        fault = self.faults.decide(f"{request.method} {request.path}")
        if fault == "throttling":
            return Reply(429, _throttled(request.method), {"Retry-After": "1"})
        if fault == "error500":
            return Reply(
                500,
                {
                    "error": {
                        "code": "InternalServerError",
                        "message": "Encountered internal server error (injected by the sandbox).",
                    }
                },
            )
        if fault == "latency":
            time.sleep(fault_plan.LATENCY_SECONDS)
        path = parse(request.path)
        with self.store.transaction() as state:
            ctx = Context(state, self.azurite_url, dict(request.args))
            try:
                body = request.get_json(silent=True) if request.data else {}
                reply, write = Router(self, ctx, path, request.method, body or {}).route()
            except ArmError as error:
                state.dirty = False  # nothing of a refused request is kept
                reply, write = Reply(error.status, error.body()), _default_write(request.method, path)
        if write:
            self.journal.record(request.method, write)
        return reply


def _throttled(method: str) -> dict:
    kind = "read" if method in ("GET", "HEAD") else "write"
    return {
        "error": {
            "code": "SubscriptionRequestsThrottled",
            "message": f"Number of {kind} requests for subscription '{SUBSCRIPTION_ID}' exceeded the limit for "
            "time interval '01:00:00'. Please try again after '1' seconds.",
        }
    }


def _default_write(method: str, path: ArmPath) -> str | None:
    """What a refused mutating request is journaled as (it still reached the service)."""
    if method not in MUTATING_HTTP_METHODS:
        return None
    if path.kind == "resourceGroup":
        return GROUP_TYPE
    if method == "POST" and path.kind == "provider":
        action = path.tail.lower()
        if action in kind_of(path.parent_type).read_actions or action == "checknameavailability":
            return None
        return f"{path.parent_type}/{path.tail}"
    return path.resource_type if path.kind == "provider" else path.kind


class Router:
    """One request: find what it addresses and answer it (returns the reply and what to journal)."""

    def __init__(self, app: ArmApp, ctx: Context, path: ArmPath, method: str, body: dict):
        self.app, self.ctx, self.path, self.method, self.body = app, ctx, path, method, body
        self.state: State = ctx.state

    def route(self) -> tuple[Reply, str | None]:
        p, method = self.path, self.method
        if p.subscription is not None and p.subscription.lower() != SUBSCRIPTION_ID:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{p.subscription}' could not be found.")
        if p.kind == "subscriptions" and method == "GET":
            return Reply(200, {"value": [_subscription()]}), None
        if p.kind == "subscription" and method == "GET":
            return Reply(200, _subscription()), None
        if p.kind == "locations" and method == "GET":
            return Reply(200, {"value": _locations()}), None
        if p.kind == "resourceGroups" and method == "GET":
            groups = [r for r in self.state.resources.values() if r["type"] == GROUP_TYPE]
            return Reply(200, {"value": groups}), None
        if p.kind == "resourceGroup":
            return self.resource_group()
        if p.kind == "resources" and method == "GET":
            self._require_group()
            listed = [_summary(r) for r in self.state.under(p.group_id + "/providers")]
            return Reply(200, {"value": listed}), None
        if p.kind == "provider" and p.resource_group is None:
            return self.subscription_provider()
        if p.kind == "provider":
            self._require_group()
            if p.is_item:
                return self.item()
            if method == "GET":
                return self.collection_or_view(), None
            if method == "POST":
                return self.action()
        raise ArmError(400, "InvalidRequestUri", f"The sandbox's ARM stand-in does not serve {method} {self._url()}.")

    # Resource groups ------------------------------------------------------------------

    def resource_group(self) -> tuple[Reply, str | None]:
        p, method = self.path, self.method
        existing = self.state.get(p.group_id)
        if method == "HEAD":
            return Reply(204 if existing else 404), None
        if method == "GET":
            if existing is None:
                raise group_not_found(p.resource_group)
            return Reply(200, existing), None
        if method in ("PUT", "PATCH"):
            if method == "PATCH" and existing is None:
                raise group_not_found(p.resource_group)
            body = {**(existing or {}), **self.body} if method == "PATCH" else self.body
            if not body.get("location"):
                raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
            group = {"id": p.group_id, "name": p.resource_group, "type": GROUP_TYPE}
            group.update({k: body[k] for k in ("location", "tags", "managedBy") if body.get(k) is not None})
            group["location"] = _location(group["location"])
            if existing and group["location"] != existing["location"]:
                raise ArmError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location "
                    f"'{group['location']}'. The Resource group already exists in location "
                    f"'{existing['location']}'.",
                )
            group["properties"] = {"provisioningState": "Succeeded"}
            self.state.put(group)
            return Reply(201 if existing is None and method == "PUT" else 200, group), GROUP_TYPE
        if method == "DELETE":
            if existing is None:
                raise group_not_found(p.resource_group)
            for resource in self.state.under(p.group_id):
                self.state.delete(resource["id"])
            self.state.delete(p.group_id)
            return self._accepted("Microsoft.Resources", existing["location"], None, location_only=True), GROUP_TYPE
        raise ArmError(405, "MethodNotAllowed", f"{method} is not supported on resource groups.")

    def _require_group(self) -> dict:
        group = self.state.get(self.path.group_id)
        if group is None:
            raise group_not_found(self.path.resource_group)
        return group

    # Resources ------------------------------------------------------------------------

    def item(self) -> tuple[Reply, str | None]:
        p, method = self.path, self.method
        rid, rtype = p.item_id(), p.resource_type
        kind = kind_of(rtype)
        write = rtype if method in MUTATING_HTTP_METHODS else None
        parent_id, parent_kind, child = self._parent()
        if parent_kind is not None and child in parent_kind.embedded:
            return self.embedded(parent_id, parent_kind.embedded[child], kind), write
        existing = self.state.get(rid)
        if method in ("GET", "HEAD"):
            defaults = parent_kind.defaults if parent_kind else {}
            if existing is None and child in defaults and self.state.get(parent_id) is not None:
                return Reply(200, parent_kind.defaults[child](self.state.get(parent_id)["id"])), None
            if existing is None:
                if method == "HEAD":
                    return Reply(404), None
                raise not_found(rtype, p.segments[-1], p.resource_group)
            if method == "HEAD":
                return Reply(204), None
            rendered = self.render(existing, kind)
            if "instanceview" in self.ctx.query.get("$expand", "").lower() and "instanceview" in kind.views:
                props(rendered)["instanceView"] = kind.views["instanceview"](self.ctx, existing)
            return Reply(200, rendered), None
        if method in ("PUT", "PATCH"):
            if parent_id and self.state.get(parent_id) is None:
                name = parent_id.rsplit("/", 1)[1]
                raise ArmError(
                    404,
                    "ParentResourceNotFound",
                    f"Can not perform requested operation on nested resource. Parent resource '{name}' not found.",
                )
            if method == "PATCH" and existing is None:
                raise not_found(rtype, p.segments[-1], p.resource_group)
            body = _merge(self.render(existing, GENERIC), self.body) if method == "PATCH" else self.body
            resource = self.build(rid, rtype, body, existing, kind, top_level=parent_id is None)
            self.state.put(resource)
            status = 200 if existing or method == "PATCH" else kind.create_status
            rendered = self.render(resource, kind)
            if kind.lro:
                props(rendered)["provisioningState"] = "Updating" if existing else "Creating"
                # The operation's Location answers with the resource itself, as Azure's does for a PUT.
                result = ResourceRef(resource["id"])
                return self._accepted(p.namespace, resource.get("location"), result, status, rendered), write
            return Reply(status, rendered), write
        if method == "DELETE":
            if existing is None:
                return Reply(204), write
            if kind.on_delete:
                kind.on_delete(self.ctx, existing)
            for resource in self.state.under(rid):
                self.state.delete(resource["id"])
            self.state.delete(rid)
            if kind.lro:
                return self._accepted(p.namespace, existing.get("location"), None), write
            return Reply(200), write
        raise ArmError(405, "MethodNotAllowed", f"{method} is not supported here.")

    def embedded(self, parent_id: str, field: str, kind: Kind) -> Reply:
        """A child kept inside its parent's body (a vnet's subnets, an NSG's rules, a NIC's ipConfigurations)."""
        p, method = self.path, self.method
        parent = self.state.get(parent_id)
        name = p.segments[-1]
        if parent is None:
            raise not_found(p.parent_type.rsplit("/", 1)[0], parent_id.rsplit("/", 1)[1], p.resource_group)
        children = props(parent).setdefault(field, [])
        index = next((i for i, c in enumerate(children) if c["name"].lower() == name.lower()), None)
        existing = children[index] if index is not None else None
        if method in ("GET", "HEAD"):
            if existing is None:
                raise not_found(p.resource_type, name, p.resource_group)
            return Reply(200, self.render(existing, kind))
        if method == "PUT":
            child = self.build(p.item_id(), p.resource_type, self.body, existing, kind, top_level=False)
            if index is None:
                children.append(child)
            else:
                children[index] = child
            self._store_with_children(parent)
            return Reply(201 if existing is None else 200, self.render(child, kind))
        if method == "DELETE":
            if existing is None:
                return Reply(204)
            children.pop(index)
            self._store_with_children(parent)
            return Reply(200)
        raise ArmError(405, "MethodNotAllowed", f"{method} is not supported here.")

    def collection_or_view(self) -> Reply:
        p = self.path
        target_id = p.item_id()
        if len(p.segments) > 1:
            parent = self.state.get(target_id)
            if parent is None:
                raise not_found(p.parent_type, p.segments[-2], p.resource_group)
            parent_kind = kind_of(p.parent_type)
            view = parent_kind.views.get(p.tail.lower())
            if view is not None:
                return Reply(200, view(self.ctx, parent))
            field = parent_kind.embedded.get(p.tail.lower())
            if field is not None:
                child_kind = kind_of(p.resource_type)
                return Reply(200, {"value": [self.render(c, child_kind) for c in props(parent).get(field, [])]})
        prefix = f"{target_id}/{p.tail}/" if len(p.segments) > 1 else f"{p.group_id}/providers/{p.namespace}/{p.tail}/"
        return Reply(200, {"value": self._listed(prefix, p.resource_type)})

    def action(self) -> tuple[Reply, str | None]:
        p = self.path
        target = self.state.get(p.item_id())
        if target is None:
            raise not_found(p.parent_type, p.segments[-2], p.resource_group)
        kind = kind_of(p.parent_type)
        name = p.tail.lower()
        handler = kind.actions.get(name)
        if handler is None:
            raise ArmError(
                400,
                "InvalidResourceType",
                f"The sandbox does not implement the action '{p.tail}' on '{p.parent_type}'.",
            )
        result = handler(self.ctx, target, self.body)
        write = None if name in kind.read_actions else f"{p.parent_type}/{p.tail}"
        if kind.lro:
            return self._accepted(p.namespace, target.get("location"), result), write
        return Reply(200, result), write

    # Subscription-level provider paths -----------------------------------------------

    def subscription_provider(self) -> tuple[Reply, str | None]:
        p, method = self.path, self.method
        segments = [s.lower() for s in p.segments]
        if not segments and method == "GET":
            return Reply(
                200,
                {
                    "id": f"{p.subscription_prefix}/providers/{p.namespace}",
                    "namespace": p.namespace,
                    "registrationState": "Registered",
                    "resourceTypes": [],
                },
            ), None
        if segments and segments[0] == "locations" and len(segments) >= 3 and method == "GET":
            return self.location_scoped(p.segments[1], [*segments[2:]], list(p.segments[2:])), None
        if len(segments) == 1 and method == "GET":
            prefix = f"{p.subscription_prefix}/resourcegroups/"
            resources = [r for r in self._listed(prefix, p.resource_type, any_depth=True)]
            return Reply(200, {"value": resources}), None
        if len(segments) == 1 and method == "POST":
            handler = SUBSCRIPTION_ACTIONS.get(f"{p.namespace}/{p.segments[0]}".lower())
            if handler is not None:
                return Reply(200, handler(self.ctx, self.body)), None
        raise ArmError(400, "InvalidRequestUri", f"The sandbox's ARM stand-in does not serve {method} {self._url()}.")

    def location_scoped(self, location: str, lowered: list[str], raw: list[str]) -> Reply:
        """VM sizes, marketplace images and operation status, per region."""
        sub = self.path.subscription_prefix
        if lowered == ["vmsizes"]:
            return Reply(200, {"value": catalog.vm_sizes()})
        if lowered[0] == "operations" and len(lowered) == 2:
            opid = raw[1]
            if opid not in self.app.operations:
                raise ArmError(404, "NotFound", f"Operation {opid} was not found.")
            if self.ctx.query.get("monitor") == "true":
                result = self.app.operations[opid]
                if isinstance(result, ResourceRef):
                    resource = self.state.get(result.id)
                    result = self.render(resource, kind_of(resource["type"])) if resource else None
                return Reply(200 if result is not None else 204, result)
            return Reply(200, {"name": opid, "status": "Succeeded", "startTime": now(), "endTime": now()})
        if lowered[0] == "publishers":
            return self.images(location, raw, sub)
        raise ArmError(400, "InvalidRequestUri", f"The sandbox's ARM stand-in does not serve GET {self._url()}.")

    def images(self, location: str, raw: list[str], sub: str) -> Reply:
        # publishers/{p}/artifacttypes/vmimage/offers/{o}/skus/{s}/versions/{v}
        base = f"/Subscriptions/{self.path.subscription}/Providers/Microsoft.Compute/Locations/{location}/Publishers"
        names = raw[1::2]
        if len(raw) == 1:
            return Reply(200, [{"name": p, "location": location, "id": f"{base}/{p}"} for p in catalog.IMAGES])
        offers = {
            o.lower(): (o, skus)
            for p, os_ in catalog.IMAGES.items()
            if p.lower() == names[0].lower()
            for o, skus in os_.items()
        }
        if len(raw) == 4:  # .../offers
            return Reply(
                200,
                [
                    {"name": o, "location": location, "id": f"{base}/{names[0]}/ArtifactTypes/VMImage/Offers/{o}"}
                    for o, _ in offers.values()
                ],
            )
        offer = offers.get(names[2].lower()) if len(names) > 2 else None
        if offer is None:
            raise ArmError(404, "NotFound", f"Artifact: VMImage was not found ({self._url()}).")
        if len(raw) == 6:  # .../skus
            return Reply(
                200,
                [
                    {
                        "name": s,
                        "location": location,
                        "id": f"{base}/{names[0]}/ArtifactTypes/VMImage/Offers/{offer[0]}/Skus/{s}",
                    }
                    for s in offer[1]
                ],
            )
        sku_name = names[3]
        entry = catalog.image_sku(names[0], offer[0], sku_name)
        if entry is None:
            raise ArmError(404, "NotFound", f"Artifact: VMImage was not found ({self._url()}).")
        versions, generation, architecture = entry
        image = {"publisher": names[0], "offer": offer[0], "sku": sku_name}
        if len(raw) == 8:  # .../versions
            return Reply(
                200,
                [
                    {
                        "name": v,
                        "location": location,
                        "id": image_version_id(self.path.subscription, location, {**image, "version": v}),
                    }
                    for v in versions
                ],
            )
        version = names[4]
        if version not in versions:
            raise ArmError(404, "NotFound", f"Artifact: VMImage was not found ({self._url()}).")
        return Reply(
            200,
            {
                "name": version,
                "location": location,
                "id": image_version_id(self.path.subscription, location, {**image, "version": version}),
                "properties": {
                    "hyperVGeneration": generation,
                    "architecture": architecture,
                    "osDiskImage": {"operatingSystem": "Linux", "sizeInGb": 30},
                    "dataDiskImages": [],
                    "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": True},
                    "disallowed": {"vmDiskType": "Unmanaged"},
                    "features": [{"name": "SecurityType", "value": "TrustedLaunchSupported"}],
                    "imageDeprecationStatus": {"imageState": "Active"},
                },
            },
        )

    # Helpers --------------------------------------------------------------------------

    def build(self, rid: str, rtype: str, body: dict, previous: dict | None, kind: Kind, top_level: bool) -> dict:
        resource = {"id": rid, "name": rid.rsplit("/", 1)[1], "type": rtype}
        for key in TOP_LEVEL_FIELDS:
            if body.get(key) is not None:
                resource[key] = copy.deepcopy(body[key])
        if top_level:
            if not resource.get("location"):
                raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
            resource["location"] = _location(resource["location"])
        resource["properties"] = copy.deepcopy(body.get("properties") or {})
        if kind.etag:
            resource["etag"] = f'W/"{uuid.uuid4()}"'
        if kind.fill:
            kind.fill(self.ctx, resource, previous)
        props(resource)["provisioningState"] = "Succeeded"
        if kind.embedded:
            self._normalise_children(resource, kind)
        return resource

    def _normalise_children(self, parent: dict, kind: Kind) -> None:
        """Embedded children get their ids, types and states, as Azure fills them."""
        for field in kind.embedded.values():
            children = props(parent).get(field)
            if children is None:
                continue
            actual_segment = field  # the property is named like the child type
            child_type = f"{parent['type']}/{actual_segment}"
            child_kind = kind_of(child_type)
            for child in children:
                child["id"] = f"{parent['id']}/{actual_segment}/{child['name']}"
                child["type"] = child_type
                if kind.etag:
                    child["etag"] = parent["etag"]
                child.setdefault("properties", {})
                if child_kind.fill:
                    child_kind.fill(self.ctx, child, None)
                child["properties"]["provisioningState"] = "Succeeded"

    def _store_with_children(self, parent: dict) -> None:
        kind = kind_of(parent["type"])
        if kind.etag:
            parent["etag"] = f'W/"{uuid.uuid4()}"'
        self._normalise_children(parent, kind)
        self.state.put(parent)

    def render(self, resource: dict | None, kind: Kind) -> dict:
        """What a client sees: no sandbox-internal fields, references back filled in."""
        if resource is None:
            return {}
        out = {k: copy.deepcopy(v) for k, v in resource.items() if not k.startswith("_")}
        if kind.backrefs:
            kind.backrefs(self.ctx, out)
        for field in kind.embedded.values():
            child_kind = kind_of(f"{resource['type']}/{field}")
            if child_kind.backrefs:
                for child in props(out).get(field, []):
                    child_kind.backrefs(self.ctx, child)
        return out

    def _parent(self) -> tuple[str | None, Kind | None, str]:
        p = self.path
        if len(p.segments) < 4:
            return None, None, ""
        parent_id = p.item_id().rsplit("/", 2)[0]
        parent_type = p.resource_type.rsplit("/", 1)[0]
        return parent_id, kind_of(parent_type), p.segments[-2].lower()

    def _listed(self, prefix: str, rtype: str, any_depth: bool = False) -> list[dict]:
        kind = kind_of(rtype)
        prefix = prefix.lower()
        found = []
        for key, resource in self.state.resources.items():
            if resource["type"].lower() != rtype.lower() or not key.startswith(prefix):
                continue
            if any_depth or "/" not in key[len(prefix) :]:
                found.append(self.render(resource, kind))
        return found

    def _accepted(
        self,
        namespace: str,
        location: str | None,
        result: object,
        status: int = 202,
        body: object = None,
        location_only: bool = False,
    ) -> Reply:
        opid = str(uuid.uuid4())
        self.app.operations[opid] = result
        url = (
            f"https://{ARM_HOST}{self.path.subscription_prefix}/providers/{namespace}/locations/"
            f"{location or 'global'}/operations/{opid}?api-version=2024-07-01"
        )
        headers = {"Location": f"{url}&monitor=true", "Retry-After": POLL_AFTER}
        if not location_only:
            headers["Azure-AsyncOperation"] = url
        return Reply(status, body, headers)

    def _url(self) -> str:
        return self.path.item_id() if self.path.kind == "provider" else self.path.kind


def _merge(base: dict, patch: dict) -> dict:
    """JSON merge patch (RFC 7386), as ARM applies PATCH bodies."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "tags":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _location(name: str) -> str:
    return name.replace(" ", "").lower()


def _summary(resource: dict) -> dict:
    keys = ("id", "name", "type", "location", "tags", "sku", "kind", "managedBy")
    return {k: resource[k] for k in keys if k in resource}


def _subscription() -> dict:
    return {
        "id": f"/subscriptions/{SUBSCRIPTION_ID}",
        "subscriptionId": SUBSCRIPTION_ID,
        "tenantId": TENANT_ID,
        "displayName": SUBSCRIPTION_NAME,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }


def _locations() -> list[dict]:
    return [
        {
            "id": f"/subscriptions/{SUBSCRIPTION_ID}/locations/{name}",
            "name": name,
            "displayName": display,
            "regionalDisplayName": display,
            "type": "Region",
            "metadata": {"regionType": "Physical", "regionCategory": "Recommended"},
        }
        for name, display in catalog.LOCATIONS.items()
    ]
