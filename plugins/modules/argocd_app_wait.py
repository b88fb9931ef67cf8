#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: argocd_app_wait
short_description: Wait until Argo CD Applications are Synced and Healthy
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Waits until the named Argo CD Applications, or all those matching a label selector, reach the wanted sync and
    health status, reading their status through the Kubernetes API (no Argo CD API token or CLI needed).
  - Reads every Application of the namespace with one request per poll; polls start at 2 seconds and grow, jittered,
    to 10 seconds. Throttling (429), server errors (5xx) and dropped connections are retried with jittered backoff.
  - On timeout, or as soon as an Application's last sync has failed, the module fails with a message naming every
    Application that is missing or not ready, with each of its resources that is OutOfSync, Degraded or Missing and
    the last sync's message.
  - The module only reads; it never reports a change.
options:
  names:
    description:
      - Names of the Applications to wait for.
      - Mutually exclusive with O(label_selector).
    type: list
    elements: str
  label_selector:
    description:
      - Wait for every Application whose labels match this selector,
        for example V(app.kubernetes.io/part-of=petclinic).
      - At least one Application must match before the timeout.
      - Mutually exclusive with O(names).
    type: str
  namespace:
    description: Namespace the Applications live in (Argo CD's own namespace unless apps-in-any-namespace is used).
    type: str
    default: argocd
  timeout:
    description: Seconds to wait, at least 1.
    type: int
    default: 600
  sync_status:
    description: Sync statuses that count as ready.
    type: list
    elements: str
    choices: [Synced, OutOfSync, Unknown]
    default: [Synced]
  health_status:
    description:
      - Health statuses that count as ready.
      - Add V(Suspended) for Applications holding paused Rollouts or suspended CronJobs.
    type: list
    elements: str
    choices: [Healthy, Progressing, Degraded, Suspended, Missing, Unknown]
    default: [Healthy]
  fail_on_sync_failure:
    description:
      - Stop waiting and fail as soon as an Application's last sync operation ended in V(Failed) or V(Error) while it
        is not Synced (Argo CD retries by the app's own retry policy; a failed operation is what is left after it).
    type: bool
    default: true
  children:
    description:
      - Also wait for the Applications the named ones create (an app of apps), found in their C(status.resources),
        and for those these create in turn. Only with O(names); children in another namespace are not followed.
      - The root app is Synced only once its children exist, so waiting for it first finds them all.
    type: bool
    default: false
  condition_timeout:
    description:
      - Fail when an Application keeps a condition that stops Argo CD from comparing or syncing it
        (C(ComparisonError), C(InvalidSpecError), C(SyncError); a repository it cannot read, for instance) for this
        many seconds in a row, with Argo CD's own message; V(0) waits for the whole O(timeout) instead.
      - Such conditions can show for a moment while Argo CD starts; they persist when the cause is in git or the
        credentials. A C(SyncError) does not count while the sync operation is still running, since Argo CD is then
        retrying it (C(syncPolicy.retry)).
    type: int
    default: 60
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The current status is read once and returned at once, without waiting and without failing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
    details: The module only reads; it changes nothing, so there is never a diff.
requirements:
  - kubernetes >= 24.2.0
notes:
  - Argo CD writes the status; in a cluster where its application controller does not run, Applications never get
    one and are reported with sync and health V(Unknown).
"""

EXAMPLES = r"""
- name: Wait for the root app and every app it creates
  bespin.platform.argocd_app_wait:
    names: [root]
    children: true
    timeout: 900

- name: Wait for every app of a project, paused Rollouts allowed
  bespin.platform.argocd_app_wait:
    label_selector: app.kubernetes.io/part-of=petclinic
    health_status: [Healthy, Suspended]

- name: Read the current status without waiting
  bespin.platform.argocd_app_wait:
    names: [root]
  check_mode: true
  register: root_status
"""

RETURN = r"""
ready:
  description: Whether every Application was found and ready.
  returned: always
  type: bool
  sample: true
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 12.4
missing:
  description: Names asked for that no Application has (or, with a label selector, the selector when nothing matched).
  returned: always
  type: list
  elements: str
  sample: []
applications:
  description: The status of each Application, as last read.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Application name.
      type: str
      sample: root
    repo_url:
      description: The repository the Application's (first) source reads.
      type: str
      sample: https://git.example.com/petclinic/gitops.git
    sync_status:
      description: Synced, OutOfSync or Unknown (Unknown also when Argo CD has written no status yet).
      type: str
      sample: Synced
    health_status:
      description: Healthy, Progressing, Degraded, Suspended, Missing or Unknown.
      type: str
      sample: Healthy
    revision:
      description: The git revision (or chart version) last synced.
      type: str
      sample: 6f1d5a0c
    operation_phase:
      description: Phase of the last sync operation (Running, Succeeded, Failed, Error), empty when none.
      type: str
      sample: Succeeded
    operation_message:
      description: Message of the last sync operation.
      type: str
      sample: successfully synced (all tasks run)
    conditions:
      description: The Application's error and warning conditions, each as its type, a colon and its message.
      type: list
      elements: str
      sample: []
    problems:
      description: Each resource that is not Synced or not Healthy, as its Kind/namespace/name, a colon and the reasons.
      type: list
      elements: str
      sample: ["Deployment/petclinic/was: OutOfSync, Degraded (Deployment exceeded its progress deadline)"]
"""

import copy
import random
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.bespin.platform.plugins.module_utils.argocd_status import (
    HEALTH_STATUSES,
    SYNC_STATUSES,
    blocking_conditions,
    has_failed,
    is_ready,
    report,
    summarize,
    with_descendants,
)
from ansible_collections.bespin.platform.plugins.module_utils.k8s_json import NOT_FOUND, JsonApi

try:
    from kubernetes.client.rest import ApiException
except ImportError:  # reported by AnsibleK8SModule's requirement check
    ApiException = None

POLL_FIRST_DELAY = 2.0
POLL_GROWTH = 1.5
POLL_MAX_DELAY = 10.0
# Kubernetes object names (DNS subdomains) and namespaces (DNS labels).
OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        names=dict(type="list", elements="str"),
        label_selector=dict(type="str"),
        namespace=dict(type="str", default="argocd"),
        timeout=dict(type="int", default=600),
        sync_status=dict(type="list", elements="str", choices=list(SYNC_STATUSES), default=["Synced"]),
        health_status=dict(type="list", elements="str", choices=list(HEALTH_STATUSES), default=["Healthy"]),
        fail_on_sync_failure=dict(type="bool", default=True),
        children=dict(type="bool", default=False),
        condition_timeout=dict(type="int", default=60),
    )
    return spec


def validate(params):
    """The first problem with the request, naming its field; None when there is none."""
    if params["timeout"] < 1:
        return f"timeout: must be at least 1 second, got {params['timeout']}"
    if not NAMESPACE.match(params["namespace"]):
        return f"namespace: {params['namespace']!r} is not a valid namespace name"
    if params["names"] is not None:
        if not params["names"]:
            return "names: give at least one Application name"
        for index, name in enumerate(params["names"]):
            if not isinstance(name, str) or not OBJECT_NAME.match(name):
                return f"names[{index}]: {name!r} is not a valid Application name"
    if params["label_selector"] is not None and not params["label_selector"].strip():
        return "label_selector: must not be empty"
    if params["children"] and params["names"] is None:
        return "children: needs names (the Applications whose children to follow)"
    if params["condition_timeout"] < 0:
        return f"condition_timeout: must be 0 or more seconds, got {params['condition_timeout']}"
    return None


def poll_delays(rng):
    """2 s, growing by half each time up to 10 s, each jittered by up to a fifth."""
    delay = POLL_FIRST_DELAY
    while True:
        yield delay * rng.uniform(0.8, 1.0)
        delay = min(POLL_MAX_DELAY, delay * POLL_GROWTH)


class ApplicationWaiter:
    def __init__(self, module, api, clock=time.monotonic, sleep=time.sleep):
        self.module = module
        self.api = api
        self.clock = clock
        self.sleep = sleep
        params = module.params
        self.names = params["names"]
        self.selector = params["label_selector"]
        self.sync_statuses = params["sync_status"]
        self.health_statuses = params["health_status"]
        # app name -> when its blocking condition was first seen, while it lasts
        self.blocked_since = {}

    def read(self):
        """(summaries of the apps asked for, the names that are missing, blocking conditions by app)."""
        namespace = self.module.params["namespace"]
        query = [("labelSelector", self.selector)] if self.selector else []
        apps = {
            app["metadata"]["name"]: app
            for app in self.api.request(
                "GET", f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications", query
            )["items"]
        }
        if self.names is None:
            names = sorted(apps)
            missing = [] if apps else [f"(label selector {self.selector})"]
        else:
            names = with_descendants(apps, self.names, namespace) if self.module.params["children"] else self.names
            missing = [name for name in names if name not in apps]
        present = [name for name in names if name in apps]
        return [summarize(apps[n]) for n in present], missing, {n: blocking_conditions(apps[n]) for n in present}

    def persistently_blocked(self, conditions, now):
        """The apps whose blocking conditions have lasted condition_timeout seconds."""
        limit = self.module.params["condition_timeout"]
        for name, found in conditions.items():
            if not found:
                self.blocked_since.pop(name, None)
            else:
                self.blocked_since.setdefault(name, now)
        return [name for name, since in self.blocked_since.items() if limit and now - since >= limit]

    def run(self):
        started = self.clock()
        deadline = started + self.module.params["timeout"]
        delays = poll_delays(random.Random())  # noqa: S311 - jitter, not secrets
        while True:
            summaries, missing, conditions = self.read()
            ready = not missing and all(is_ready(s, self.sync_statuses, self.health_statuses) for s in summaries)
            result = dict(
                changed=False,
                ready=ready,
                missing=missing,
                applications=summaries,
                elapsed=round(self.clock() - started, 1),
            )
            if ready or self.module.check_mode:
                self.module.exit_json(**result)
            failed = [s["name"] for s in summaries if has_failed(s)]
            if failed and self.module.params["fail_on_sync_failure"]:
                self.module.fail_json(
                    msg=f"The last sync of {', '.join(failed)} failed: "
                    + report(summaries, missing, self.sync_statuses, self.health_statuses),
                    **result,
                )
            blocked = self.persistently_blocked(conditions, self.clock())
            if blocked:
                sources = {s["name"]: s["repo_url"] for s in summaries}
                named = [f"{name} (from {sources[name]})" if sources.get(name) else name for name in blocked]
                self.module.fail_json(
                    msg=f"Argo CD cannot compare or sync {', '.join(named)} "
                    f"(for {self.module.params['condition_timeout']} s): "
                    + report(summaries, missing, self.sync_statuses, self.health_statuses),
                    **result,
                )
            remaining = deadline - self.clock()
            if remaining <= 0:
                self.module.fail_json(
                    msg=f"Not ready after {self.module.params['timeout']} s: "
                    + report(summaries, missing, self.sync_statuses, self.health_statuses),
                    **result,
                )
            self.sleep(min(next(delays), remaining))


def main():
    module = AnsibleK8SModule(
        module_class=AnsibleModule,
        argument_spec=argument_spec(),
        mutually_exclusive=[("names", "label_selector")],
        required_one_of=[("names", "label_selector")],
        supports_check_mode=True,
    )
    problem = validate(module.params)
    if problem:
        module.fail_json(msg=problem)
    try:
        client = get_api_client(module)
        ApplicationWaiter(module, JsonApi(client.client.client)).run()
    except CoreException as exc:
        module.fail_from_exception(exc)
    except ApiException as exc:
        if exc.status == NOT_FOUND:
            module.fail_json(
                msg="Argo CD's Application CRD (applications.argoproj.io/v1alpha1) is not installed in this cluster"
            )
        module.fail_json(msg=f"Failed to read the Applications: {exc.status} {exc.reason}")


if __name__ == "__main__":
    main()
