"""EKS add-ons and Pod Identity associations: the state and rules moto lacks.

Add-ons move CREATING -> ACTIVE, UPDATING -> ACTIVE and DELETING -> gone after
a delay; the status is computed when read, so no background thread is needed.
CoreDNS is DEGRADED when no nodegroup of the cluster (as moto's EKS backend
holds them, seeded from the topology) has nodes it can schedule on. State is
kept in a JSON file so a restart of the server keeps it.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import moto_bridge
from .catalogue import ADDONS, AddonSpec


class EksError(Exception):
    """An EKS API error: the code botocore raises, its HTTP status and extra fields of the error shape."""

    STATUS = {
        "ResourceNotFoundException": 404,
        "ResourceInUseException": 409,
        "InvalidParameterException": 400,
        "InvalidRequestException": 400,
        "ServerException": 500,
    }

    def __init__(self, code: str, message: str, **fields: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = self.STATUS.get(code, 400)
        self.fields = {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True)
class Scope:
    """Where a request acts: the account (from the access key) and the region (from the signature)."""

    account_id: str
    region: str

    def key(self, cluster: str, name: str) -> str:
        return f"{self.account_id}/{self.region}/{cluster}/{name}"

    def arn(self, resource: str) -> str:
        return f"arn:aws:eks:{self.region}:{self.account_id}:{resource}"


def _association_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "a-" + "".join(secrets.choice(alphabet) for _ in range(17))


def _page(items: list, max_results: int | None, token: str | None, limit: int = 100) -> tuple[list, str | None]:
    start = int(token) if token and token.isdigit() else 0
    size = max(1, min(int(max_results or limit), limit))
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


class AddonStore:
    def __init__(self, path: Path, delay: float, clock: Callable[[], float] = time.time):
        self.path = path
        self.delay = delay
        self.clock = clock
        self._lock = threading.RLock()
        self._state: dict[str, dict[str, dict]] = {"addons": {}, "associations": {}}
        if path.exists():
            self._state = json.loads(path.read_text())

    # Persistence ----------------------------------------------------------------------

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._state, indent=1, sort_keys=True))
        temporary.replace(self.path)

    def count(self) -> int:
        with self._lock:
            self._settle()
            return len(self._state["addons"]) + len(self._state["associations"])

    def reset(self) -> int:
        with self._lock:
            removed = len(self._state["addons"]) + len(self._state["associations"])
            self._state = {"addons": {}, "associations": {}}
            self._save()
            return removed

    # Clusters -------------------------------------------------------------------------

    def _cluster(self, scope: Scope, name: str) -> Any:
        cluster = moto_bridge.eks_cluster(scope.account_id, scope.region, name)
        if cluster is None:
            raise EksError("ResourceNotFoundException", f"No cluster found for name: {name}.", clusterName=name)
        return cluster

    # Add-ons ----------------------------------------------------------------------------

    def _spec(self, name: str, kubernetes_version: str) -> AddonSpec:
        spec = ADDONS.get(name)
        if spec is None or not spec.compatible(kubernetes_version):
            raise EksError(
                "InvalidParameterException",
                f"Addon {name} specified is not supported in {kubernetes_version} kubernetes version",
                addonName=name,
            )
        return spec

    def _check_version(self, spec: AddonSpec, version: str | None, kubernetes_version: str, cluster: str) -> str:
        if version is None:
            return spec.default_version(kubernetes_version).version
        found = spec.version(version)
        if found is None or kubernetes_version not in found.clusters:
            compatible = ", ".join(v.version for v in spec.compatible(kubernetes_version))
            raise EksError(
                "InvalidParameterException",
                f"Addon version {version} of {spec.name} is not compatible with Kubernetes version "
                f"{kubernetes_version} of cluster {cluster}. Compatible versions: {compatible}",
                clusterName=cluster,
                addonName=spec.name,
            )
        return version

    def _check_configuration(self, spec: AddonSpec, values: str | None) -> None:
        if not values:
            return
        try:
            document = yaml.safe_load(values)  # EKS takes JSON or YAML
        except yaml.YAMLError as exc:
            raise EksError(
                "InvalidParameterException",
                f"ConfigurationValue provided in request is not valid JSON or YAML: {exc}",
                addonName=spec.name,
            ) from exc
        errors = sorted(jsonschema.Draft7Validator(spec.schema).iter_errors(document), key=lambda e: list(e.path))
        if errors:
            details = "; ".join(f"{e.json_path}: {e.message}" for e in errors)
            raise EksError(
                "InvalidParameterException",
                f"ConfigurationValue provided in request is not supported: "
                f"Json schema validation failed with error: [{details}]",
                addonName=spec.name,
            )

    def _status(self, record: dict) -> str:
        phase = record["phase"]
        if self.clock() < record["phaseUntil"] or phase == "DELETING":
            return phase
        return "ACTIVE"  # or DEGRADED: _view adds the health

    def _settle(self) -> None:
        """Forget add-ons whose deletion finished (with the associations they owned)."""
        now = self.clock()
        gone = [k for k, r in self._state["addons"].items() if r["phase"] == "DELETING" and now >= r["phaseUntil"]]
        for key in gone:
            arn = self._state["addons"].pop(key)["addonArn"]
            for assoc_key in [k for k, a in self._state["associations"].items() if a.get("ownerArn") == arn]:
                del self._state["associations"][assoc_key]
        if gone:
            self._save()

    def _health_issues(self, scope: Scope, record: dict) -> list[dict]:
        if record["addonName"] != "coredns":
            return []
        cluster = moto_bridge.eks_cluster(scope.account_id, scope.region, record["clusterName"])
        if cluster is None:
            return [{"code": "ClusterUnreachable", "message": "The cluster does not exist.", "resourceIds": []}]
        config = yaml.safe_load(record.get("configurationValues") or "{}") or {}
        tolerated = set()
        for toleration in config.get("tolerations", []):
            if toleration.get("operator") == "Exists" and not toleration.get("key"):
                tolerated.add(("", ""))
            effect = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}.get(toleration.get("effect", ""), "")
            tolerated.add((toleration.get("key", ""), effect))
        if moto_bridge.schedulable_nodegroups(cluster, tolerated):
            return []
        return [
            {
                "code": "InsufficientNumberOfReplicas",
                "message": "The add-on is unhealthy because it doesn't have the desired number of replicas: "
                "no node of the cluster can schedule its pods (every node is tainted or there are none).",
                "resourceIds": ["kube-system/coredns"],
            }
        ]

    def _view(self, scope: Scope, record: dict) -> dict:
        status = self._status(record)
        issues = self._health_issues(scope, record) if status == "ACTIVE" else []
        if issues:
            status = "DEGRADED"
        view = {
            "addonName": record["addonName"],
            "clusterName": record["clusterName"],
            "status": status,
            "addonVersion": record["addonVersion"],
            "health": {"issues": issues},
            "addonArn": record["addonArn"],
            "createdAt": record["createdAt"],
            "modifiedAt": record["modifiedAt"],
            "tags": record["tags"],
            "publisher": record["publisher"],
            "owner": record["owner"],
            "podIdentityAssociations": record["podIdentityAssociations"],
        }
        for optional in ("serviceAccountRoleArn", "configurationValues"):
            if record.get(optional):
                view[optional] = record[optional]
        if record.get("namespace"):
            view["namespaceConfig"] = {"namespace": record["namespace"]}
        return view

    def _record(self, scope: Scope, cluster: str, name: str) -> dict:
        record = self._state["addons"].get(scope.key(cluster, name))
        if record is None:
            raise EksError(
                "ResourceNotFoundException",
                f"No addon: {name} found in cluster: {cluster}",
                clusterName=cluster,
                addonName=name,
            )
        return record

    def create_addon(self, scope: Scope, cluster_name: str, body: dict) -> dict:
        with self._lock:
            self._settle()
            cluster = self._cluster(scope, cluster_name)
            name = body.get("addonName") or ""
            resolve = body.get("resolveConflicts", "NONE")
            if resolve == "PRESERVE":
                raise EksError(
                    "InvalidParameterException",
                    "ResolveConflicts PRESERVE is not supported when creating an addon; use NONE or OVERWRITE",
                    clusterName=cluster_name,
                    addonName=name,
                )
            spec = self._spec(name, cluster.version)
            key = scope.key(cluster_name, name)
            if key in self._state["addons"]:
                raise EksError(
                    "ResourceInUseException",
                    f"Addon already exists: {name}",
                    clusterName=cluster_name,
                    addonName=name,
                )
            version = self._check_version(spec, body.get("addonVersion"), cluster.version, cluster_name)
            self._check_configuration(spec, body.get("configurationValues"))
            now = self.clock()
            arn = scope.arn(f"addon/{cluster_name}/{name}/{uuid.uuid4()}")
            record = {
                "addonName": name,
                "clusterName": cluster_name,
                "addonVersion": version,
                "addonArn": arn,
                "createdAt": now,
                "modifiedAt": now,
                "tags": body.get("tags") or {},
                "publisher": spec.publisher,
                "owner": spec.owner,
                "serviceAccountRoleArn": body.get("serviceAccountRoleArn"),
                "configurationValues": body.get("configurationValues"),
                "resolveConflicts": resolve,
                "namespace": (body.get("namespaceConfig") or {}).get("namespace"),
                "podIdentityAssociations": [],
                "phase": "CREATING",
                "phaseUntil": now + self.delay,
                "updates": {},
            }
            record["podIdentityAssociations"] = self._owned_associations(
                scope, cluster_name, spec, arn, body.get("podIdentityAssociations") or []
            )
            self._state["addons"][key] = record
            self._save()
            return {"addon": self._view(scope, record)}

    def _owned_associations(self, scope: Scope, cluster: str, spec: AddonSpec, owner: str, wanted: list) -> list:
        arns = []
        for item in wanted:
            created = self._new_association(
                scope,
                cluster,
                {"namespace": spec.namespace, "serviceAccount": item["serviceAccount"], "roleArn": item["roleArn"]},
                owner=owner,
            )
            arns.append(created["associationArn"])
        return arns

    def describe_addon(self, scope: Scope, cluster_name: str, name: str) -> dict:
        with self._lock:
            self._settle()
            self._cluster(scope, cluster_name)
            return {"addon": self._view(scope, self._record(scope, cluster_name, name))}

    def list_addons(self, scope: Scope, cluster_name: str, max_results: str | None, token: str | None) -> dict:
        with self._lock:
            self._settle()
            self._cluster(scope, cluster_name)
            prefix = scope.key(cluster_name, "")
            names = sorted(r["addonName"] for k, r in self._state["addons"].items() if k.startswith(prefix))
            page, next_token = _page(names, max_results, token)
            return {"addons": page, **({"nextToken": next_token} if next_token else {})}

    def update_addon(self, scope: Scope, cluster_name: str, name: str, body: dict) -> dict:
        with self._lock:
            self._settle()
            cluster = self._cluster(scope, cluster_name)
            record = self._record(scope, cluster_name, name)
            status = self._status(record)
            if status in ("CREATING", "UPDATING", "DELETING"):
                raise EksError(
                    "ResourceInUseException",
                    f"Addon {name} is in {status} state and cannot be updated",
                    clusterName=cluster_name,
                    addonName=name,
                )
            spec = self._spec(name, cluster.version)
            params = []
            if "addonVersion" in body:
                record["addonVersion"] = self._check_version(spec, body["addonVersion"], cluster.version, cluster_name)
                params.append({"type": "AddonVersion", "value": record["addonVersion"]})
            if "configurationValues" in body:
                self._check_configuration(spec, body["configurationValues"])
                record["configurationValues"] = body["configurationValues"]
                params.append({"type": "ConfigurationValues", "value": body["configurationValues"]})
            if "serviceAccountRoleArn" in body:
                record["serviceAccountRoleArn"] = body["serviceAccountRoleArn"]
                params.append({"type": "ServiceAccountRoleArn", "value": body["serviceAccountRoleArn"]})
            if "podIdentityAssociations" in body:
                self._drop_owned(record["addonArn"])
                record["podIdentityAssociations"] = self._owned_associations(
                    scope, cluster_name, spec, record["addonArn"], body["podIdentityAssociations"]
                )
                params.append({"type": "PodIdentityAssociations", "value": json.dumps(body["podIdentityAssociations"])})
            record["resolveConflicts"] = body.get("resolveConflicts", "NONE")
            params.append({"type": "ResolveConflicts", "value": record["resolveConflicts"]})
            now = self.clock()
            record.update(phase="UPDATING", phaseUntil=now + self.delay, modifiedAt=now)
            update = {"id": str(uuid.uuid4()), "type": "AddonUpdate", "params": params, "createdAt": now}
            record["updates"][update["id"]] = update
            self._save()
            return {"update": self._update_view(record, update)}

    def _update_view(self, record: dict, update: dict) -> dict:
        done = self.clock() >= update["createdAt"] + self.delay
        return {**update, "status": "Successful" if done else "InProgress", "errors": []}

    def describe_update(self, scope: Scope, cluster_name: str, name: str, update_id: str) -> dict:
        with self._lock:
            self._cluster(scope, cluster_name)
            record = self._record(scope, cluster_name, name)
            update = record["updates"].get(update_id)
            if update is None:
                raise EksError(
                    "ResourceNotFoundException",
                    f"No update found for ID: {update_id}",
                    clusterName=cluster_name,
                    addonName=name,
                )
            return {"update": self._update_view(record, update)}

    def delete_addon(self, scope: Scope, cluster_name: str, name: str, preserve: bool) -> dict:
        with self._lock:
            self._settle()
            self._cluster(scope, cluster_name)
            record = self._record(scope, cluster_name, name)
            if record["phase"] != "DELETING":
                now = self.clock()
                record.update(phase="DELETING", phaseUntil=now + self.delay, modifiedAt=now, preserve=preserve)
                self._save()
            return {"addon": self._view(scope, record)}

    def _drop_owned(self, owner: str) -> None:
        for key in [k for k, a in self._state["associations"].items() if a.get("ownerArn") == owner]:
            del self._state["associations"][key]

    # Versions and schemas ----------------------------------------------------------------

    def describe_addon_versions(self, query: dict[str, Any]) -> dict:
        kubernetes_version = query.get("kubernetesVersion")
        found = []
        for spec in ADDONS.values():
            if query.get("addonName") and spec.name != query["addonName"]:
                continue
            if any(query.get(f) and value not in query[f] for f, value in self._facets(spec).items()):
                continue
            versions = [v for v in spec.versions if not kubernetes_version or kubernetes_version in v.clusters]
            if not versions:
                continue
            found.append(
                {
                    "addonName": spec.name,
                    "type": spec.type,
                    "addonVersions": [self._version_info(spec, v, kubernetes_version) for v in versions],
                    "publisher": spec.publisher,
                    "owner": spec.owner,
                    "defaultNamespace": spec.namespace,
                }
            )
        page, next_token = _page(found, query.get("maxResults"), query.get("nextToken"))
        return {"addons": page, **({"nextToken": next_token} if next_token else {})}

    @staticmethod
    def _facets(spec: AddonSpec) -> dict[str, str]:
        return {"types": spec.type, "publishers": spec.publisher, "owners": spec.owner}

    @staticmethod
    def _version_info(spec: AddonSpec, version: Any, kubernetes_version: str | None) -> dict:
        clusters = [c for c in version.clusters if not kubernetes_version or c == kubernetes_version]
        return {
            "addonVersion": version.version,
            "architecture": list(spec.architectures),
            "computeTypes": list(spec.compute_types),
            "compatibilities": [
                {"clusterVersion": c, "platformVersions": ["*"], "defaultVersion": c in version.default_for}
                for c in clusters
            ],
            "requiresConfiguration": False,
            "requiresIamPermissions": spec.requires_iam,
        }

    def describe_addon_configuration(self, name: str, version: str) -> dict:
        spec = ADDONS.get(name)
        if spec is None or spec.version(version) is None:
            raise EksError(
                "ResourceNotFoundException", f"Addon {name} with version {version} not found", addonName=name
            )
        result = {"addonName": name, "addonVersion": version, "configurationSchema": json.dumps(spec.schema)}
        if spec.service_account:
            result["podIdentityConfiguration"] = [
                {"serviceAccount": spec.service_account, "recommendedManagedPolicies": list(spec.recommended_policies)}
            ]
        else:
            result["podIdentityConfiguration"] = []
        return result

    # Pod Identity associations ---------------------------------------------------------------

    def _new_association(self, scope: Scope, cluster_name: str, body: dict, owner: str | None = None) -> dict:
        namespace, account = body.get("namespace"), body.get("serviceAccount")
        for record in self._state["associations"].values():
            if (
                record["clusterName"] == cluster_name
                and record["namespace"] == namespace
                and record["serviceAccount"] == account
                and record["scope"] == [scope.account_id, scope.region]
            ):
                raise EksError(
                    "ResourceInUseException",
                    f"Association already exists: {record['associationId']} for service account {namespace}/{account}",
                    clusterName=cluster_name,
                )
        now = self.clock()
        association_id = _association_id()
        record = {
            "scope": [scope.account_id, scope.region],
            "clusterName": cluster_name,
            "namespace": namespace,
            "serviceAccount": account,
            "roleArn": body.get("roleArn"),
            "associationArn": scope.arn(f"podidentityassociation/{cluster_name}/{association_id}"),
            "associationId": association_id,
            "tags": body.get("tags") or {},
            "createdAt": now,
            "modifiedAt": now,
            "disableSessionTags": bool(body.get("disableSessionTags", False)),
        }
        for optional in ("targetRoleArn", "policy"):
            if body.get(optional):
                record[optional] = body[optional]
        if owner:
            record["ownerArn"] = owner
        self._state["associations"][scope.key(cluster_name, association_id)] = record
        return record

    @staticmethod
    def _association_view(record: dict) -> dict:
        return {k: v for k, v in record.items() if k != "scope"}

    def _association(self, scope: Scope, cluster_name: str, association_id: str) -> dict:
        self._cluster(scope, cluster_name)
        record = self._state["associations"].get(scope.key(cluster_name, association_id))
        if record is None:
            raise EksError(
                "ResourceNotFoundException",
                f"No Pod Identity Association found for ID: {association_id}",
                clusterName=cluster_name,
            )
        return record

    def create_association(self, scope: Scope, cluster_name: str, body: dict) -> dict:
        with self._lock:
            self._settle()
            self._cluster(scope, cluster_name)
            record = self._new_association(scope, cluster_name, body)
            self._save()
            return {"association": self._association_view(record)}

    def describe_association(self, scope: Scope, cluster_name: str, association_id: str) -> dict:
        with self._lock:
            self._settle()
            return {"association": self._association_view(self._association(scope, cluster_name, association_id))}

    def list_associations(self, scope: Scope, cluster_name: str, query: dict[str, Any]) -> dict:
        with self._lock:
            self._settle()
            self._cluster(scope, cluster_name)
            prefix = scope.key(cluster_name, "")
            summaries = [
                {k: r[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId")}
                | ({"ownerArn": r["ownerArn"]} if r.get("ownerArn") else {})
                for key, r in sorted(self._state["associations"].items(), key=lambda kv: kv[1]["createdAt"])
                if key.startswith(prefix)
                and (not query.get("namespace") or r["namespace"] == query["namespace"])
                and (not query.get("serviceAccount") or r["serviceAccount"] == query["serviceAccount"])
            ]
            page, next_token = _page(summaries, query.get("maxResults"), query.get("nextToken"))
            return {"associations": page, **({"nextToken": next_token} if next_token else {})}

    def update_association(self, scope: Scope, cluster_name: str, association_id: str, body: dict) -> dict:
        with self._lock:
            self._settle()
            record = self._unowned_association(scope, cluster_name, association_id, "update")
            for field in ("roleArn", "disableSessionTags", "targetRoleArn", "policy"):
                if field in body:
                    record[field] = body[field]
            record["modifiedAt"] = self.clock()
            self._save()
            return {"association": self._association_view(record)}

    def _unowned_association(self, scope: Scope, cluster_name: str, association_id: str, action: str) -> dict:
        """An association an add-on owns changes only through that add-on."""
        record = self._association(scope, cluster_name, association_id)
        if record.get("ownerArn"):
            raise EksError(
                "InvalidRequestException",
                f"Pod Identity Association {association_id} is owned by {record['ownerArn']}; {action} the add-on",
                clusterName=cluster_name,
            )
        return record

    def delete_association(self, scope: Scope, cluster_name: str, association_id: str) -> dict:
        with self._lock:
            self._settle()
            record = self._unowned_association(scope, cluster_name, association_id, "delete")
            del self._state["associations"][scope.key(cluster_name, association_id)]
            self._save()
            return {"association": self._association_view(record)}

    # Tags (TagResource / UntagResource / ListTagsForResource on our ARNs) -------------------

    def owns_arn(self, arn: str) -> bool:
        return ":addon/" in arn or ":podidentityassociation/" in arn

    def _tagged(self, arn: str) -> dict:
        for kind, field in (("addons", "addonArn"), ("associations", "associationArn")):
            for record in self._state[kind].values():
                if record[field] == arn:
                    return record
        raise EksError("ResourceNotFoundException", f"Resource {arn} was not found")

    def list_tags(self, arn: str) -> dict:
        with self._lock:
            self._settle()
            return {"tags": dict(self._tagged(arn)["tags"])}

    def tag(self, arn: str, tags: dict) -> dict:
        if not tags:
            raise EksError("InvalidParameterException", "tags must not be empty")
        with self._lock:
            self._settle()
            self._tagged(arn)["tags"].update(tags)
            self._save()
            return {}

    def untag(self, arn: str, keys: list[str]) -> dict:
        with self._lock:
            self._settle()
            record = self._tagged(arn)
            for key in keys:
                record["tags"].pop(key, None)
            self._save()
            return {}
