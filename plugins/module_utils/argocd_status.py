# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an Argo CD Application's status says: a summary, whether it is ready, and why not.

Argo CD writes the status into the Application object (argoproj.io/v1alpha1):
status.sync {status, revision}, status.health {status, message},
status.resources[] {group, kind, namespace, name, status, health}, the last
operation in status.operationState {phase, message, syncResult.resources[]},
and status.conditions[] {type, message}. Nothing here talks to the cluster.
"""

SYNC_STATUSES = ("Synced", "OutOfSync", "Unknown")
HEALTH_STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")
# Operation phases after which nothing more will happen without a new sync.
FAILED_PHASES = ("Failed", "Error")
NO_STATUS = "Unknown"
# Conditions under which Argo CD cannot compare or sync the app at all (a repository it cannot read, a path
# or chart that does not render, a spec it refuses): they persist until someone mends the cause.
BLOCKING_CONDITIONS = ("ComparisonError", "InvalidSpecError", "SyncError")
# What says which source a status was computed for (status.sync.comparedTo.source).
SOURCE_KEYS = ("repoURL", "path", "chart", "targetRevision")


def _resource_name(resource):
    kind = resource.get("kind", "?")
    namespace = resource.get("namespace")
    name = resource.get("name", "?")
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def unhealthy_resources(status):
    """The app's resources that are not Synced or not Healthy, each as 'Kind/ns/name: why'."""
    problems = []
    for resource in status.get("resources") or []:
        reasons = []
        if resource.get("status") and resource["status"] != "Synced":
            reasons.append(resource["status"])
        health = resource.get("health") or {}
        if health.get("status") and health["status"] not in ("Healthy", "Suspended"):
            reasons.append(health["status"] + (f" ({health['message']})" if health.get("message") else ""))
        if reasons:
            problems.append(f"{_resource_name(resource)}: {', '.join(reasons)}")
    # A failed sync names the objects it could not apply, which may never reach status.resources.
    for result in ((status.get("operationState") or {}).get("syncResult") or {}).get("resources") or []:
        if result.get("status") in ("SyncFailed", "PruneSkipped") and result.get("message"):
            problems.append(f"{_resource_name(result)}: {result['status']} ({result['message']})")
    return problems


def summarize(app):
    """The parts of an Application a user needs to know why it is (not) ready."""
    status = app.get("status") or {}
    operation = status.get("operationState") or {}
    spec = app.get("spec") or {}
    source = spec.get("source") or (spec.get("sources") or [{}])[0]
    compared = ((status.get("sync") or {}).get("comparedTo") or {}).get("source")
    # A status computed for another source (the spec changed since) says nothing about this one yet.
    stale = compared is not None and any(compared.get(key) != source.get(key) for key in SOURCE_KEYS)
    return {
        "name": app["metadata"]["name"],
        "repo_url": source.get("repoURL", ""),
        "sync_status": NO_STATUS if stale else (status.get("sync") or {}).get("status") or NO_STATUS,
        "health_status": (status.get("health") or {}).get("status") or NO_STATUS,
        "revision": (status.get("sync") or {}).get("revision", ""),
        "operation_phase": operation.get("phase", ""),
        "operation_message": operation.get("message", ""),
        "conditions": [
            f"{condition.get('type')}: {condition.get('message', '')}"
            for condition in status.get("conditions") or []
            if "Error" in (condition.get("type") or "") or "Warning" in (condition.get("type") or "")
        ],
        "problems": unhealthy_resources(status),
    }


def blocking_conditions(app):
    """The conditions that keep Argo CD from comparing or syncing the app, as 'Type: message'.

    A SyncError while the sync operation is still Running is not one: Argo CD is retrying it
    (syncPolicy.retry), and says so in the operation's message; it blocks once the retries are spent."""
    status = app.get("status") or {}
    retrying = (status.get("operationState") or {}).get("phase") == "Running"
    return [
        f"{condition['type']}: {condition.get('message', '')}"
        for condition in status.get("conditions") or []
        if condition.get("type") in BLOCKING_CONDITIONS and not (retrying and condition.get("type") == "SyncError")
    ]


def created_applications(app, namespace):
    """The Applications an app of apps created: those in its status.resources, in `namespace`."""
    return [
        resource["name"]
        for resource in (app.get("status") or {}).get("resources") or []
        if resource.get("group") == "argoproj.io"
        and resource.get("kind") == "Application"
        and resource.get("namespace", namespace) == namespace
    ]


def with_descendants(apps_by_name, names, namespace):
    """`names` and, in order, every Application they create, and those create in turn."""
    wanted, queue = [], list(names)
    while queue:
        name = queue.pop(0)
        if name in wanted:
            continue
        wanted.append(name)
        if name in apps_by_name:
            queue += created_applications(apps_by_name[name], namespace)
    return wanted


def is_ready(summary, sync_statuses, health_statuses):
    return summary["sync_status"] in sync_statuses and summary["health_status"] in health_statuses


def has_failed(summary):
    """The last sync failed: waiting longer will not make the app ready."""
    return summary["operation_phase"] in FAILED_PHASES and summary["sync_status"] != "Synced"


def describe(summary):
    """One paragraph about an app that is not ready."""
    text = f"{summary['name']}: sync {summary['sync_status']}, health {summary['health_status']}"
    if summary["operation_phase"]:
        text += f"; last sync {summary['operation_phase']}"
        if summary["operation_message"]:
            text += f": {summary['operation_message']}"
    details = summary["conditions"] + summary["problems"]
    if details:
        text += "; " + "; ".join(details)
    return text


def report(summaries, missing, sync_statuses, health_statuses):
    """The failure message: every app that is missing or not ready, and why."""
    lines = [f"{name}: no such Application" for name in missing]
    lines += [describe(s) for s in summaries if not is_ready(s, sync_statuses, health_statuses)]
    return " | ".join(lines)
