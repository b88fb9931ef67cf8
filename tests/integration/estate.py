"""What the sandbox's estate holds, read back as plain data two runs can be compared by.

`snapshot()` reads every Kubernetes object a user could list, the Helm releases, the
AWS twin's IAM roles and policies, EKS add-ons, Pod Identity associations, Route53
records and health checks, Secrets Manager secrets, and every Azure resource with
its properties. What differs between two equal estates by nature (server-assigned
ids, timestamps, resource versions, generated secret values, allocated cluster IPs)
is left out, so two runs that built the same resources with the same properties give
equal snapshots, and a duplicate (a second health check, role, VM, NIC, address or
release) shows as a difference.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections import Counter
from typing import Any

import boto3
from azure.identity import ManagedIdentityCredential
from azure.mgmt.resource import ResourceManagementClient

# Kinds made by controllers or the API server on their own schedule, with generated names.
SKIPPED_KINDS = {
    "Event", "Pod", "Endpoints", "EndpointSlice", "Lease", "ControllerRevision", "ReplicaSet", "IPAddress",
}  # fmt: skip
# Server-assigned or time-bound fields, anywhere in a Kubernetes object or an ARM resource.
VOLATILE_KEYS = {
    "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
    "clusterIP", "clusterIPs", "nodePort", "caBundle", "deletionGracePeriodSeconds",
    "etag", "vmId", "timeCreated", "resourceGuid", "uniqueId", "provisioningState", "lastModifiedTime",
    "creationTime", "keyCreationTime",
    # Argo Rollouts' pod-template hash, which its controller writes into the stable and canary
    # Services' selectors once the ReplicaSet is up: on its schedule, not the collection's.
    "rollouts-pod-template-hash",
}  # fmt: skip
# A Deployment's rollout count, pod-template checksums of generated values, and the sandbox's own
# marks (its conflict faults annotate the nodes they race with).
VOLATILE_ANNOTATIONS = ("deployment.kubernetes.io/revision", "checksum/", "sandbox.bespin.io/")
ARM_API_VERSION = "2023-07-01"


def strip(value: Any) -> Any:
    """`value` without its volatile keys, at every depth."""
    if isinstance(value, dict):
        return {key: strip(item) for key, item in value.items() if key not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [strip(item) for item in value]
    return value


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


# Kubernetes -----------------------------------------------------------------------------


def kubectl_json(*args: str) -> dict:
    result = subprocess.run(["kubectl", *args, "-o", "json"], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def listable_kinds() -> list[str]:
    result = subprocess.run(
        ["kubectl", "api-resources", "--verbs=list", "-o", "name"], capture_output=True, text=True, check=True
    )
    return sorted(result.stdout.split())


def kube_object(item: dict) -> tuple[str, dict]:
    metadata = item["metadata"]
    annotations = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if not key.startswith(VOLATILE_ANNOTATIONS)
    }
    body = {key: value for key, value in item.items() if key not in ("metadata", "status", "apiVersion")}
    if item["kind"] == "Secret":
        # Generated values (passwords, certificates) differ from run to run; which keys exist does not.
        body = {"type": item.get("type"), "keys": sorted((item.get("data") or {}).keys())}
    if item["kind"] == "ClusterRole" and item.get("aggregationRule"):
        # The aggregation controller fills these rules in the order the aggregated roles arrived.
        body["rules"] = sorted(body.get("rules") or [], key=lambda rule: json.dumps(rule, sort_keys=True))
    if item["kind"] == "Node":
        body = {"labels": metadata.get("labels", {}), "taints": item.get("spec", {}).get("taints", [])}
    shape = {
        "labels": metadata.get("labels", {}),
        "annotations": annotations,
        "owners": sorted(f"{owner['kind']}/{owner['name']}" for owner in metadata.get("ownerReferences", [])),
        **strip(body),
    }
    name = f"{item['kind']} {metadata.get('namespace', '-')}/{metadata['name']}"
    return name, shape


def kubernetes() -> dict[str, dict]:
    objects: dict[str, dict] = {}
    for item in kubectl_json("get", ",".join(listable_kinds()), "--all-namespaces")["items"]:
        if item["kind"] in SKIPPED_KINDS or item.get("type") == "helm.sh/release.v1":
            continue  # a Helm release's own Secrets carry timestamps; releases are read from Helm
        name, shape = kube_object(item)
        objects[name] = shape
    return objects


def helm_releases() -> dict[str, dict]:
    releases = {}
    for release in json.loads(
        subprocess.run(["helm", "list", "-A", "-a", "-o", "json"], capture_output=True, text=True, check=True).stdout
    ):
        values = subprocess.run(
            ["helm", "get", "values", release["name"], "-n", release["namespace"], "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        releases[f"{release['namespace']}/{release['name']}"] = {
            "chart": release["chart"],
            "app_version": release.get("app_version"),
            "status": release["status"],
            "values": digest(json.loads(values or "null")),
        }
    return releases


# AWS ------------------------------------------------------------------------------------


def aws() -> dict[str, Any]:
    iam, eks = boto3.client("iam"), boto3.client("eks")
    route53, secrets = boto3.client("route53"), boto3.client("secretsmanager")
    roles = {}
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            roles[name] = {
                "trust": role["AssumeRolePolicyDocument"],
                "attached": sorted(policy["PolicyName"] for policy in attached),
                "inline": sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]),
            }
    policies = sorted(policy["PolicyName"] for policy in iam.list_policies(Scope="Local")["Policies"])
    cluster = os.environ["BESPIN_EKS_CLUSTER"]
    addons = {}
    for name in eks.list_addons(clusterName=cluster)["addons"]:
        addon = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
        addons[name] = {
            "version": addon["addonVersion"],
            "status": addon["status"],
            "configuration": addon.get("configurationValues"),
            "role": addon.get("serviceAccountRoleArn"),
        }
    associations = sorted(
        f"{item['namespace']}/{item['serviceAccount']}"
        for item in eks.list_pod_identity_associations(clusterName=cluster)["associations"]
    )
    checks = {check["Id"]: check["HealthCheckConfig"] for check in route53.list_health_checks()["HealthChecks"]}
    distributions, certificates = cloudfront_distributions(), acm_certificates()
    # Names CloudFront and ACM draw at random, by what they stand for.
    distribution_of = {
        d["DomainName"]: f"distribution for {','.join(d['Aliases'].get('Items', []))}" for d in distributions
    }
    validation_of = {
        option["ResourceRecord"]["Name"]: f"ACM validation of {option['DomainName']}"
        for certificate in certificates
        for option in certificate.get("DomainValidationOptions", [])
        if "ResourceRecord" in option
    }
    records = {}
    for zone in route53.list_hosted_zones()["HostedZones"]:
        for record in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            if record["Type"] in ("SOA", "NS"):
                continue
            shape = {key: value for key, value in record.items() if key != "HealthCheckId"}
            if "HealthCheckId" in record:
                shape["health_check"] = checks.get(record["HealthCheckId"], "missing")
            if record["Name"] in validation_of:
                shape = {"Type": record["Type"], "stands_for": validation_of[record["Name"]]}
            target = (record.get("AliasTarget") or {}).get("DNSName", "").rstrip(".")
            if target in distribution_of:
                shape["AliasTarget"] = {**record["AliasTarget"], "DNSName": distribution_of[target]}
            name = validation_of.get(record["Name"], record["Name"])
            records[f"{name} {record['Type']} {record.get('SetIdentifier', '')}".strip()] = shape
    return {
        "iam_roles": roles,
        "iam_policies": policies,
        "eks_addons": addons,
        "pod_identity_associations": associations,
        "route53_records": records,
        # Health checks by configuration: two alike are a duplicate, and show as a count of 2.
        "route53_health_checks": dict(Counter(digest(config) for config in checks.values())),
        "secrets": sorted(secret["Name"] for secret in secrets.list_secrets()["SecretList"]),
        # By their names: two alike are a duplicate, and show as a count of 2.
        "cloudfront_distributions": dict(Counter(",".join(d["Aliases"].get("Items", [])) for d in distributions)),
        "cloudfront_configs": {
            ",".join(d["Aliases"].get("Items", [])): {
                "origins": sorted(o["DomainName"] for o in d["Origins"]["Items"]),
                "errors": sorted(e["ErrorCode"] for e in d["CustomErrorResponses"].get("Items", [])),
                "enabled": d["Enabled"],
            }
            for d in distributions
        },
        "acm_certificates": dict(
            Counter(
                " ".join(c.get("SubjectAlternativeNames", [c["DomainName"]])) + " " + c["Status"] for c in certificates
            )
        ),
    }


def cloudfront_distributions() -> list[dict]:
    return boto3.client("cloudfront").list_distributions()["DistributionList"].get("Items", [])


def acm_certificates() -> list[dict]:
    """Every certificate in us-east-1, where CloudFront's are, described."""
    acm = boto3.client("acm", region_name="us-east-1")
    listed = acm.get_paginator("list_certificates").paginate().build_full_result()["CertificateSummaryList"]
    return [acm.describe_certificate(CertificateArn=item["CertificateArn"])["Certificate"] for item in listed]


# Azure ----------------------------------------------------------------------------------


def azure() -> dict[str, dict]:
    client = ResourceManagementClient(ManagedIdentityCredential(), os.environ["AZURE_SUBSCRIPTION_ID"])
    resources = {}
    for group in client.resource_groups.list():
        resources[f"resourceGroup {group.name}"] = {"location": group.location, "tags": group.tags}
        for summary in client.resources.list_by_resource_group(group.name):
            resource = client.resources.get_by_id(summary.id, ARM_API_VERSION).as_dict()
            resources[f"{summary.type} {group.name}/{summary.name}"] = strip(
                {key: value for key, value in resource.items() if key not in ("id", "name", "type")}
            )
    return resources


def snapshot() -> dict[str, Any]:
    return {"kubernetes": kubernetes(), "helm": helm_releases(), "aws": aws(), "azure": azure()}


def differences(left: dict, right: dict, path: str = "") -> list[str]:
    """Where two snapshots differ, one line each: what only one side has, and what has other values."""
    lines = []
    for key in sorted(set(left) | set(right)):
        where = f"{path}/{key}" if path else str(key)
        if key not in right:
            lines.append(f"only in the first: {where}")
        elif key not in left:
            lines.append(f"only in the second: {where}")
        elif isinstance(left[key], dict) and isinstance(right[key], dict):
            lines.extend(differences(left[key], right[key], where))
        elif left[key] != right[key]:
            lines.append(f"differs: {where}: {json.dumps(left[key], default=str)[:300]} != "
                         f"{json.dumps(right[key], default=str)[:300]}")  # fmt: skip
    return lines
