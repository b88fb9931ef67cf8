# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform report's filters: what playbooks/platform_report.yml read, as one
document (platform_report), and that document as aligned text (platform_report_text).

The reads come back in the shapes of several collections' modules (kubernetes.core,
amazon.aws, azure.azcollection, ours); turning them into rows is plain data work,
easier to get right and to test in Python than in Jinja. The HTML page is a
template over the same document.
"""

DOCUMENTATION = r"""
name: platform_report
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: Turn the reads of playbooks/platform_report.yml into one report document
description:
  - Takes the registered results of the report playbook's reads and returns the report's sections - add-ons,
    nodes and placement, Argo CD, the Redis session store, the Azure standby, Route53 failover, the runs - as plain
    lists and mappings, ready for a template or C(to_nice_json).
  - A section whose read was skipped or failed says so (C(read) false and C(note)) instead of failing the report.
options:
  _input:
    description:
      - The reads, by name - C(nodes), C(managed), C(helm), C(argocd), C(rollouts), C(redis), C(vms), C(ips),
        C(nsgs), C(site), C(records), C(health), C(placement), C(runs) - each the registered result of its task
        (or nothing).
    type: dict
    required: true
  title:
    description: The report's title (the cluster's name).
    type: str
    default: platform
"""

EXAMPLES = r"""
- name: Gather the report
  ansible.builtin.set_fact:
    report: >-
      {{ {'nodes': nodes_read, 'helm': helm_list, 'runs': runs}
         | bespin.platform.platform_report(title='petclinic') }}

- name: Print it
  ansible.builtin.debug:
    msg: "{{ (report | bespin.platform.platform_report_text).splitlines() }}"
"""

RETURN = r"""
_value:
  description:
    - The report - C(title), C(addons) (C(managed), C(helm)), C(nodes) (C(groups), C(placement)), C(argocd), C(redis),
      C(azure), C(route53), C(runs), C(summary).
  type: dict
"""

import json

# Labels of the platform's own making (kubelet, EKS, the cloud provider) that say
# nothing about the declared topology: left out of the node rows.
SYSTEM_LABEL_MARKERS = ("kubernetes.io/", "k8s.io/", "eks.amazonaws.com/", "karpenter.", "kwok.")
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
ZONE_LABEL = "topology.kubernetes.io/zone"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


def _read(result):
    """A registered result that ran and did not fail, else None."""
    if not isinstance(result, dict) or result.get("skipped") or result.get("failed"):
        return None
    return result


def _missing(note):
    return {"read": False, "note": note}


def _addons(managed, helm):
    managed_rows = [
        {
            "name": addon.get("addon_name"),
            "version": addon.get("addon_version"),
            "status": addon.get("status"),
            "issues": len((addon.get("health") or {}).get("issues") or []),
        }
        for addon in (_read(managed) or {}).get("addons") or []
    ]
    helm_rows = []
    listed = _read(helm)
    if listed and listed.get("stdout"):
        for release in json.loads(listed["stdout"]):
            chart = release.get("chart", "")
            name, _sep, version = chart.rpartition("-")
            helm_rows.append(
                {
                    "name": release.get("name"),
                    "namespace": release.get("namespace"),
                    "chart": name or chart,
                    "version": version if name else "",
                    "app_version": release.get("app_version", ""),
                    "revision": release.get("revision"),
                    "status": release.get("status"),
                }
            )
    return {
        "managed": sorted(managed_rows, key=lambda row: row["name"] or ""),
        "helm": sorted(helm_rows, key=lambda row: (row["namespace"] or "", row["name"] or "")),
        "managed_read": _read(managed) is not None,
        "helm_read": listed is not None,
    }


def _nodes(nodes, placement):
    groups = {}
    for node in (_read(nodes) or {}).get("resources") or []:
        metadata = node.get("metadata") or {}
        labels = metadata.get("labels") or {}
        group = labels.get(NODEGROUP_LABEL, "(none)")
        groups.setdefault(group, []).append(
            {
                "name": metadata.get("name"),
                "zone": labels.get(ZONE_LABEL, ""),
                "instance_type": labels.get(INSTANCE_TYPE_LABEL, ""),
                "labels": {
                    key: value
                    for key, value in sorted(labels.items())
                    if not any(marker in key for marker in SYSTEM_LABEL_MARKERS)
                },
                "taints": [
                    f"{taint.get('key')}={taint.get('value', '')}:{taint.get('effect')}"
                    for taint in (node.get("spec") or {}).get("taints") or []
                    if not taint.get("key", "").startswith("node.kubernetes.io/")
                ],
            }
        )
    placement_rows = [
        {
            "taint": taint,
            "nodes": entry.get("nodes") or [],
            "tolerating_on": entry.get("tolerating_probe_on") or [],
            "untolerating_on": entry.get("untolerating_probe_on") or [],
            "ok": sorted(entry.get("tolerating_probe_on") or []) == sorted(entry.get("nodes") or [])
            and all(where == "(pending)" for where in entry.get("untolerating_probe_on") or []),
        }
        for taint, entry in sorted((placement or {}).items())
    ]
    return {
        "read": _read(nodes) is not None,
        "groups": [
            {"nodegroup": name, "count": len(members), "nodes": sorted(members, key=lambda row: row["name"])}
            for name, members in sorted(groups.items())
        ],
        "placement": placement_rows,
    }


def _rollouts(reads):
    """Each Argo Rollout as its controller reports it: phase, canary step, the image it rolls out."""
    rows = []
    for rollout in (_read(reads) or {}).get("resources") or []:
        spec, status = rollout.get("spec") or {}, rollout.get("status") or {}
        steps = ((spec.get("strategy") or {}).get("canary") or {}).get("steps") or []
        containers = (((spec.get("template") or {}).get("spec") or {}).get("containers")) or [{}]
        step = status.get("currentStepIndex")
        rows.append(
            {
                "name": "{}/{}".format((rollout.get("metadata") or {}).get("namespace"), rollout["metadata"]["name"]),
                "phase": status.get("phase") or "not reported",
                "step": f"{step}/{len(steps)}" if step is not None and steps else "-",
                "image": containers[0].get("image", ""),
                "replicas": f"{status.get('availableReplicas', 0)}/{spec.get('replicas', '?')}",
                "message": status.get("message", ""),
            }
        )
    return sorted(rows, key=lambda row: row["name"])


def _argocd(reads, rollouts=None):
    results = (_read(reads) or {}).get("results") or []
    by_kind = {}
    for result in results:
        if _read(result) is not None:
            by_kind[result.get("item")] = result.get("resources") or []
    if not by_kind:
        return _missing("Argo CD's resources could not be read (not installed yet?)")
    applications = []
    for app in by_kind.get("Application", []):
        spec = app.get("spec") or {}
        source = spec.get("source") or {}
        status = app.get("status") or {}
        applications.append(
            {
                "name": (app.get("metadata") or {}).get("name"),
                "project": spec.get("project"),
                "repo": source.get("repoURL", ""),
                "path": source.get("path") or source.get("chart", ""),
                "revision": source.get("targetRevision", ""),
                "automated": bool((spec.get("syncPolicy") or {}).get("automated")),
                "ignore_differences": [
                    "{}/{} {}".format(
                        item.get("group", "") or "core",
                        item.get("kind", ""),
                        ", ".join(item.get("jsonPointers") or item.get("jqPathExpressions") or []),
                    )
                    for item in spec.get("ignoreDifferences") or []
                ],
                "sync": (status.get("sync") or {}).get("status", "not reported"),
                "health": (status.get("health") or {}).get("status", "not reported"),
            }
        )
    return {
        "read": True,
        "projects": sorted((project.get("metadata") or {}).get("name") for project in by_kind.get("AppProject", [])),
        "applications": sorted(applications, key=lambda row: row["name"] or ""),
        "rollouts": _rollouts(rollouts),
    }


def _redis(check):
    result = _read(check)
    if not isinstance(check, dict) or check.get("skipped"):
        return _missing("no Sentinel the controller reaches is configured (redis_session_check_sentinels)")
    if result is None:
        return {"read": True, "usable": False, "note": check.get("msg", "the check failed")}
    topology = result.get("topology") or {}

    def address(item):
        return (item.get("address") or item.get("addr") or "") if isinstance(item, dict) else str(item)

    return {
        "read": True,
        "usable": bool(result.get("usable")),
        "master": topology.get("master", ""),
        "replicas": [address(item) for item in topology.get("replicas") or []],
        "sentinels": [address(item) for item in topology.get("sentinels") or []],
        "quorum": topology.get("quorum"),
        "maxmemory_policy": result.get("maxmemory_policy", ""),
        "checks": [
            {"name": name, "ok": bool(outcome.get("ok")), "detail": outcome.get("detail", "")}
            for name, outcome in sorted((result.get("checks") or {}).items())
            if isinstance(outcome, dict)
        ],
        "note": "",
    }


def _azure(vms, ips, nsgs, site):
    if _read(vms) is None:
        return _missing("the Azure standby was not read (azure_standby_resource_group unset or unreachable)")
    machines = [
        {
            "name": vm.get("name"),
            "size": vm.get("vm_size"),
            "power_state": vm.get("power_state"),
            "os": "{} {}".format(
                (vm.get("image") or {}).get("offer", ""), (vm.get("image") or {}).get("sku", "")
            ).strip(),
            "location": vm.get("location"),
        }
        for vm in vms.get("vms") or []
    ]
    addresses = [
        {
            "name": ip.get("name"),
            "ip": ip.get("ip_address", ""),
            "fqdn": (ip.get("dns_settings") or {}).get("fqdn", ""),
            "allocation": ip.get("allocation_method", ""),
        }
        for ip in (_read(ips) or {}).get("publicipaddresses") or []
    ]
    rules = []
    for group in (_read(nsgs) or {}).get("securitygroups") or []:
        for rule in (group.get("properties") or {}).get("securityRules") or group.get("rules") or []:
            props = rule.get("properties") or rule
            rules.append(
                {
                    "group": group.get("name"),
                    "name": rule.get("name"),
                    "port": props.get("destinationPortRange") or props.get("destination_port_range", ""),
                    "source": props.get("sourceAddressPrefix")
                    or ", ".join(props.get("sourceAddressPrefixes") or props.get("source_address_prefixes") or []),
                    "access": props.get("access", ""),
                }
            )
    accounts = (_read(site) or {}).get("response") or []
    endpoints = ((accounts[0].get("properties") or {}).get("primaryEndpoints") or {}) if accounts else {}
    web = endpoints.get("web") or ""
    return {
        "read": True,
        "vms": machines,
        "addresses": addresses,
        "rules": sorted(rules, key=lambda row: (row["group"] or "", row["name"] or "")),
        "site": {"account": accounts[0].get("name") if accounts else "", "endpoint": web},
    }


def _last_drill(tag):
    """The bespin:last-drill tag playbooks/dr_drill.yml leaves on the health check, as fields."""
    if not tag:
        return {}
    words = tag.split()
    fields = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    return {
        "at": words[0],
        "measured": fields.get("measured", ""),
        "predicted": fields.get("predicted", ""),
        "target": fields.get("target", ""),
        "result": words[-1] if words[-1] in ("met", "missed") else "",
    }


def _cloudfront(distribution):
    if not distribution:
        return {}
    return {
        "id": distribution.get("id", ""),
        "domain_name": distribution.get("domain_name", ""),
        "status": distribution.get("status", ""),
        "aliases": list(distribution.get("aliases") or []),
        "origins": dict(distribution.get("origins") or {}),
        "certificate_arn": distribution.get("certificate_arn", ""),
    }


def _route53(records, health, cloudfront=None, last_drill=""):
    if _read(records) is None:
        return _missing("Route53 was not read (dr_failover_zone unset)")
    rows = []
    for record in records.get("resource_record_sets") or records.get("ResourceRecordSets") or []:
        alias = record.get("alias_target") or record.get("AliasTarget") or {}
        values = record.get("resource_records") or record.get("ResourceRecords") or []
        failover = record.get("failover") or record.get("Failover") or ""
        if not failover and (record.get("type") or record.get("Type")) in ("NS", "SOA"):
            continue
        rows.append(
            {
                "name": (record.get("name") or record.get("Name") or "").rstrip("."),
                "type": record.get("type") or record.get("Type"),
                "failover": failover,
                "target": (alias.get("dns_name") or alias.get("DNSName") or "").rstrip(".")
                or ", ".join(value.get("value") or value.get("Value") or "" for value in values),
                "alias": bool(alias),
                "health_check": record.get("health_check_id") or record.get("HealthCheckId") or "",
            }
        )
    observations = (_read(health) or {}).get("health_check_observations") or []
    statuses = [
        ((item.get("status_report") or item.get("StatusReport") or {}).get("status"))
        or ((item.get("StatusReport") or {}).get("Status"))
        or ""
        for item in observations
    ]
    return {
        "read": True,
        "records": sorted(rows, key=lambda row: (row["name"], row["failover"])),
        "health_check_status": statuses[0] if statuses else "",
        "cloudfront": _cloudfront(cloudfront),
        "last_drill": _last_drill(last_drill),
    }


def _runs(runs):
    rows = []
    for run in runs or []:
        recap = run.get("recap") or {}
        rows.append(
            {
                "name": run.get("name", ""),
                "ok": recap.get("ok", 0),
                "changed": recap.get("changed", 0),
                "failed": recap.get("failed", 0) + recap.get("unreachable", 0),
                "skipped": recap.get("skipped", 0),
                "seconds": run.get("seconds"),
                "writes": run.get("writes"),
            }
        )
    return rows


def platform_report(reads, title="platform"):
    reads = reads or {}
    report = {
        "title": title,
        "addons": _addons(reads.get("managed"), reads.get("helm")),
        "nodes": _nodes(reads.get("nodes"), reads.get("placement")),
        "argocd": _argocd(reads.get("argocd"), reads.get("rollouts")),
        "redis": _redis(reads.get("redis")),
        "azure": _azure(reads.get("vms"), reads.get("ips"), reads.get("nsgs"), reads.get("site")),
        "route53": _route53(
            reads.get("records"), reads.get("health"), reads.get("cloudfront"), reads.get("last_drill")
        ),
        "runs": _runs(reads.get("runs")),
    }
    report["summary"] = {
        "managed_active": sum(1 for row in report["addons"]["managed"] if row["status"] == "ACTIVE"),
        "managed": len(report["addons"]["managed"]),
        "helm_deployed": sum(1 for row in report["addons"]["helm"] if row["status"] == "deployed"),
        "helm": len(report["addons"]["helm"]),
        "nodes": sum(group["count"] for group in report["nodes"]["groups"]),
        "nodegroups": len(report["nodes"]["groups"]),
        "placement_ok": all(row["ok"] for row in report["nodes"]["placement"]),
        "redis_usable": bool(report["redis"].get("usable")),
        "standby_power": ", ".join(vm["power_state"] or "?" for vm in report["azure"].get("vms", [])),
        "health_check": report["route53"].get("health_check_status", ""),
    }
    return report


def _table(headers, rows):
    cells = [[str(cell) if cell is not None else "" for cell in row] for row in rows]
    widths = [max([len(header)] + [len(row[index]) for row in cells]) for index, header in enumerate(headers)]

    def line(values):
        return "  " + "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * width for width in widths])] + [line(row) for row in cells]


def platform_report_text(report):
    out = [f"Platform report: {report['title']}", "=" * (17 + len(report["title"]))]

    def section(name, body):
        out.extend(["", name, "-" * len(name), *body])

    addons = report["addons"]
    section(
        "EKS managed add-ons",
        _table(
            ["add-on", "version", "status"], [[row["name"], row["version"], row["status"]] for row in addons["managed"]]
        )
        if addons["managed"]
        else ["  (none read)"],
    )
    section(
        "Helm releases",
        _table(
            ["release", "namespace", "chart", "version", "status"],
            [[row["name"], row["namespace"], row["chart"], row["version"], row["status"]] for row in addons["helm"]],
        )
        if addons["helm"]
        else ["  (none read)"],
    )
    node_rows = []
    for group in report["nodes"]["groups"]:
        for node in group["nodes"]:
            labels = ", ".join(f"{key}={value}" for key, value in node["labels"].items())
            node_rows.append([group["nodegroup"], node["name"], node["zone"], labels, ", ".join(node["taints"]) or "-"])
    section(
        "Nodes by nodegroup",
        _table(["nodegroup", "node", "zone", "labels", "taints"], node_rows) if node_rows else ["  (none read)"],
    )
    placement = [
        [
            row["taint"],
            ", ".join(row["tolerating_on"]),
            ", ".join(row["untolerating_on"]),
            "ok" if row["ok"] else "WRONG",
        ]
        for row in report["nodes"]["placement"]
    ]
    section(
        "Placement probes",
        _table(["taint", "tolerating probe on", "untolerating probe on", "result"], placement)
        if placement
        else ["  (no taint to probe, or no node hosts in the inventory)"],
    )
    argocd = report["argocd"]
    if argocd["read"]:
        body = [f"  projects: {', '.join(argocd['projects']) or '-'}"]
        for app in argocd["applications"]:
            body.append(
                f"  application {app['name']} (project {app['project']}): {app['repo']} {app['path']}"
                f" @ {app['revision']}; sync {app['sync']}, health {app['health']}"
                f"{', automated' if app['automated'] else ''}"
            )
            body.extend(f"    ignoreDifferences: {item}" for item in app["ignore_differences"])
        for rollout in argocd.get("rollouts", []):
            body.append(
                f"  rollout {rollout['name']}: {rollout['phase']}, step {rollout['step']}, image {rollout['image']},"
                f" available {rollout['replicas']}" + (f" ({rollout['message']})" if rollout["message"] else "")
            )
    else:
        body = [f"  {argocd['note']}"]
    section("Argo CD", body)
    redis = report["redis"]
    if redis["read"] and redis.get("master"):
        body = [
            f"  session store: {'usable' if redis['usable'] else 'NOT usable'}",
            f"  master {redis['master']}, replicas {', '.join(redis['replicas']) or '-'}",
            f"  sentinels {', '.join(redis['sentinels']) or '-'} (quorum {redis['quorum']})",
            f"  maxmemory-policy {redis['maxmemory_policy']}",
        ]
        body.extend(
            f"  check {row['name']}: {'ok' if row['ok'] else 'FAILED'} - {row['detail']}" for row in redis["checks"]
        )
    else:
        body = [f"  {redis.get('note') or 'not checked'}"]
    section("Redis session store", body)
    azure = report["azure"]
    if azure["read"]:
        body = _table(
            ["virtual machine", "size", "power state", "image"],
            [[vm["name"], vm["size"], vm["power_state"], vm["os"]] for vm in azure["vms"]],
        )
        body += [
            f"  public IP {row['name']}: {row['ip']} ({row['fqdn'] or 'no DNS name'})" for row in azure["addresses"]
        ]
        body += [
            f"  NSG {row['group']} rule {row['name']}: port {row['port']} from {row['source'] or '*'} {row['access']}"
            for row in azure["rules"]
        ]
        site = azure["site"]
        body.append(f"  maintenance site: {site['endpoint'] or '-'} (storage account {site['account'] or '-'})")
    else:
        body = [f"  {azure['note']}"]
    section("DR: Azure standby", body)
    route53 = report["route53"]
    if route53["read"]:
        body = _table(
            ["record", "type", "failover", "target", "health check"],
            [
                [row["name"], row["type"], row["failover"] or "-", row["target"], row["health_check"] or "-"]
                for row in route53["records"]
            ],
        )
        body.append(f"  primary health check: {route53['health_check_status'] or 'unknown'}")
        cloudfront = route53["cloudfront"]
        if cloudfront:
            origins = ", ".join(f"{name} {domain}" for name, domain in cloudfront["origins"].items())
            body.append(
                f"  CloudFront {cloudfront['id']} {cloudfront['domain_name']} ({cloudfront['status']}):"
                f" {', '.join(cloudfront['aliases'])} to {origins}"
            )
            body.append(f"    certificate {cloudfront['certificate_arn'] or '-'}")
        drill = route53["last_drill"]
        body.append(
            f"  last DR drill: {drill['at']}, RTO measured {drill['measured']}, predicted {drill['predicted']},"
            f" target {drill['target']}: {drill['result'] or '?'}"
            if drill
            else "  last DR drill: none recorded (ansible-playbook playbooks/dr_drill.yml)"
        )
    else:
        body = [f"  {route53['note']}"]
    section("DR: Route53 failover", body)
    if report["runs"]:
        section(
            "Runs",
            _table(
                ["run", "ok", "changed", "failed", "skipped", "seconds", "writes"],
                [
                    [
                        row["name"],
                        row["ok"],
                        row["changed"],
                        row["failed"],
                        row["skipped"],
                        row["seconds"],
                        row["writes"],
                    ]
                    for row in report["runs"]
                ],
            ),
        )
    return "\n".join(out) + "\n"


class FilterModule:
    def filters(self):
        return {"platform_report": platform_report, "platform_report_text": platform_report_text}
