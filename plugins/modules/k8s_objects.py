#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: k8s_objects
short_description: Converge an ordered list of Kubernetes objects, writing only those that differ
version_added: 0.2.0
author: bespin.platform maintainers (@bespin)
description:
  - Creates, updates or deletes an ordered list of Kubernetes objects in one module process, in the order given
    (a Namespace before what lives in it, a CustomResourceDefinition before its custom resources), or in reverse
    order when everything is removed.
  - Every element is checked before the first request, and every bad field is named at once by its path
    (C(objects[2].metadata.name)).
  - Each kind's URL comes from API discovery, read once per group and version. What the objects need is read once
    too; several objects of one kind and namespace with one LIST rather than one GET each.
  - Only the fields a definition sets are compared with the live object, which may have more (status, defaults,
    other controllers' labels). Lists compare item by item; an empty value or V(false) matches a field the live
    object leaves out. A Secret's C(stringData) is compared with the decoded C(data) it became.
  - Objects that differ are sent with server-side apply under O(field_manager), the whole definition each time so
    that the manager keeps owning every field it declares; objects that do not differ are not written. Nothing is
    written into annotations (no last-applied copy), so a Secret's data stays in the Secret.
  - Throttling (429), server errors (5xx) and dropped connections are retried with jittered backoff; any other
    error fails the module at once, naming the object, the API's answer and the objects already written.
options:
  objects:
    description:
      - The objects, in the order to create or update them.
      - Each element is a Kubernetes definition (a mapping with C(apiVersion), C(kind) and C(metadata.name)) or a
        mapping with the keys C(definition) (one such definition), C(state) (V(present) or V(absent), O(state) by
        default) and C(wait).
      - C(wait) names a condition type (V(Established) for a CustomResourceDefinition, V(Available) for a
        Deployment, V(Ready)); once the object is written, the module waits until its C(status.conditions) has that
        type with status V(True), up to O(wait_timeout) seconds, before going on with the next element.
      - A namespaced object without C(metadata.namespace) goes to the V(default) namespace.
    type: list
    elements: raw
    required: true
  state:
    description:
      - V(present) creates or updates each object; V(absent) deletes each one that exists, the last one first.
      - An element's own C(state) overrides it.
    type: str
    choices: [present, absent]
    default: present
  field_manager:
    description: The field manager name server-side apply records as owning the declared fields.
    type: str
    default: bespin.platform
  force_conflicts:
    description:
      - Take over fields another field manager owns (C(force=true)); with V(false), such a conflict fails the module.
    type: bool
    default: true
  kinds_to_come:
    description:
      - Whether kinds the API does not serve yet come from an earlier task of the play, such as the CRDs of a Helm
        chart installed just before.
      - With V(true), in check mode (where that task only predicted its install) objects of such kinds are
        predicted created, and for real the module waits up to O(wait_timeout) for each kind to be served before
        creating its objects. With V(false), such an object fails the module before any request that writes.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds each wait may take, both for an element's C(wait) condition and for a kind that a
        CustomResourceDefinition of the same run defines to be served.
    type: int
    default: 300
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: >-
      Nothing is written and nothing is waited for. Objects that would be created or updated are sent as server-side
      dry runs (C(dryRun=All)), which the API validates; an object whose namespace or kind an earlier element creates
      is predicted V(create) without asking the API.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The declared fields of each object that changes, before and after, with the values of Secrets masked.
requirements:
  - kubernetes >= 24.2.0
notes:
  - Only the objects' declared fields are compared; a field the API server rewrites (a CPU quantity of V(0.5)
    stored as V(500m)) looks changed on every run. Write such values as the API server stores them.
  - Declared C(status) is neither compared nor written (the API server ignores it for the main resource).
seealso:
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: A namespace with its configuration, a CRD and one of its resources
  bespin.platform.k8s_objects:
    objects:
      - apiVersion: v1
        kind: Namespace
        metadata: {name: petclinic}
      - apiVersion: v1
        kind: ConfigMap
        metadata: {name: petclinic-settings, namespace: petclinic}
        data: {SPRING_PROFILES_ACTIVE: prod}
      - apiVersion: v1
        kind: Secret
        metadata: {name: petclinic-db, namespace: petclinic}
        stringData: {password: "{{ petclinic_db_password }}"}
      - definition: "{{ lookup('file', 'crds/backups.example.com.yml') | from_yaml }}"
        wait: Established
      - apiVersion: example.com/v1
        kind: Backup
        metadata: {name: nightly, namespace: petclinic}
        spec: {schedule: "0 3 * * *"}

- name: Wait for a Deployment to be Available before the next task
  bespin.platform.k8s_objects:
    objects:
      - definition: "{{ lookup('template', 'web.yml.j2') | from_yaml }}"
        wait: Available
    wait_timeout: 600

- name: Remove one object, keep the rest
  bespin.platform.k8s_objects:
    objects:
      - definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: old-settings, namespace: petclinic}}
        state: absent

- name: Remove them all, the custom resource before its CRD
  bespin.platform.k8s_objects:
    objects: "{{ petclinic_objects }}"
    state: absent
"""

RETURN = r"""
objects:
  description: One entry per element of O(objects), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    api_version:
      description: The object's apiVersion.
      type: str
      sample: v1
    kind:
      description: The object's kind.
      type: str
      sample: ConfigMap
    name:
      description: The object's name.
      type: str
      sample: petclinic-settings
    namespace:
      description: The object's namespace; empty for a cluster-scoped object.
      type: str
      sample: petclinic
    operation:
      description: V(none), V(create), V(update) or V(delete); what was done, or would be in check mode.
      type: str
      sample: update
    differences:
      description: The declared fields whose live value differs, for an update; empty otherwise.
      type: list
      elements: str
      sample: [spec.replicas, 'metadata.labels["app.kubernetes.io/version"]']
diff:
  description: The declared fields of each object that changes, before and after, Secret values masked.
  returned: in diff mode, when an object changes
  type: dict
  contains:
    before:
      description: Each changing object's declared fields as they are live (empty for one to create).
      type: list
      elements: dict
    after:
      description: Each changing object's definition as it is to be (empty for one to delete).
      type: list
      elements: dict
written:
  description: The objects written (or deleted) before a failure, as C(Kind namespace/name).
  returned: on failure
  type: list
  elements: str
  sample: [Namespace petclinic, ConfigMap petclinic/petclinic-settings]
"""

import copy
import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.bespin.platform.plugins.module_utils.k8s_json import NOT_FOUND, JsonApi
from ansible_collections.bespin.platform.plugins.module_utils.k8s_objects_plan import (
    DEFAULT_NAMESPACE,
    STATES,
    assume_missing,
    body_of,
    decide,
    diff_entry,
    entry,
    found_in_list,
    group_version_path,
    in_order,
    namespaces_read_first,
    option_problems,
    parse_objects,
    reads,
    resolve,
    secret_values,
    served_resources,
)
from ansible_collections.bespin.platform.plugins.module_utils.waiting import Poller, WaitTimeout, has_condition

try:
    from kubernetes.client.rest import ApiException
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # reported by AnsibleK8SModule's requirement check
    ApiException = Urllib3Error = None

APPLY_PATCH = "application/apply-patch+yaml"


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        objects=dict(type="list", elements="raw", required=True),
        state=dict(type="str", choices=list(STATES), default="present"),
        field_manager=dict(type="str", default="bespin.platform"),
        force_conflicts=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        kinds_to_come=dict(type="bool", default=False),
    )
    return spec


class ObjectFailure(Exception):
    """A request about one object failed for good; the message names the object."""


def api_error_text(exc):
    """`<status> <reason> <message>` from the API's Status answer, or what the client knows without one."""
    status = getattr(exc, "status", None)
    if status is None:
        return f"{type(exc).__name__}: {exc}"
    reason, message = getattr(exc, "reason", "") or "", ""
    body = getattr(exc, "body", None)
    try:
        answer = json.loads(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
        reason = answer.get("reason") or reason
        message = answer.get("message") or ""
    except (TypeError, ValueError, AttributeError):
        pass
    return " ".join(str(part) for part in (status, reason, message) if part)


class Converger:
    def __init__(self, module, api):
        self.module = module
        self.api = api
        self.params = module.params
        self.check_mode = module.check_mode
        self.discovered = {}  # group/version -> {kind: resource}; {} when the API does not serve it
        self.written = []
        self.entries = {}

    def request(self, labels, method, path, query=None, body=None, content_type=None, missing=False):
        """The API's answer (None for a 404 when `missing` is allowed); a failure names the objects asked about."""
        try:
            return self.api.request(method, path, query, body, content_type)
        except Exception as exc:
            if missing and getattr(exc, "status", None) == NOT_FOUND:
                return None
            if not self.is_api_failure(exc):
                raise
            raise ObjectFailure(f"{labels}: {api_error_text(exc)}") from exc

    @staticmethod
    def is_api_failure(exc):
        if ApiException is not None and isinstance(exc, ApiException):
            return True
        return isinstance(exc, (ConnectionError, TimeoutError)) or bool(Urllib3Error and isinstance(exc, Urllib3Error))

    def discover(self, api_version, label, fresh=False):
        if fresh or api_version not in self.discovered:
            # A 404: the group or version is not served (yet).
            answer = self.request(f"{label}: discovery of {api_version}", "GET", group_version_path(api_version),
                                  missing=True)  # fmt: skip
            self.discovered[api_version] = served_resources(answer)
        return self.discovered[api_version]

    def served(self, items):
        served = {}
        for item in items:
            served[(item.api_version, item.kind)] = self.discover(item.api_version, item.label).get(item.kind)
        return served

    def read(self, requests, found):
        for method, path, members in requests:
            labels = ", ".join(item.label for item in members)
            if method == "LIST":
                found.update(found_in_list(members, self.request(labels, "GET", path)))
            else:
                found[members[0].identity()] = self.request(labels, "GET", path, missing=True)

    def apply(self, item, dry_run=False):
        query = [("fieldManager", self.params["field_manager"])]
        if self.params["force_conflicts"]:
            query.append(("force", "true"))
        if dry_run:
            query.append(("dryRun", "All"))
        return self.request(item.label, "PATCH", item.path, query, item.body, APPLY_PATCH)

    def delete(self, item):
        # A 404 means it went between the read and the delete: what was asked for.
        self.request(item.label, "DELETE", item.path, [("propagationPolicy", "Background")], missing=True)

    def wait_served(self, item):
        """Until the kind an earlier CRD of this run defines is served; the API answers 404 for it until then."""

        def check(_label):
            resource = self.discover(item.api_version, item.label, fresh=True).get(item.kind)
            if resource is None:
                return False
            if item.resource is None:  # a kind an earlier task brings: its scope is known only now
                item.resource = resource
                item.namespace = (item.namespace or DEFAULT_NAMESPACE) if resource["namespaced"] else None
                item.body = body_of(item)
            return self.request(item.label, "GET", item.collection_path, [("limit", "1")], missing=True) is not None

        Poller(self.params["wait_timeout"]).until_ready([f"{item.kind} ({item.api_version}) served"], check)

    def wait_condition(self, item, live):
        if has_condition(live, item.wait):
            return

        def check(_label):
            return has_condition(self.request(item.label, "GET", item.path, missing=True), item.wait)

        Poller(self.params["wait_timeout"]).until_ready([f"{item.label} {item.wait}"], check)

    def run(self, items):
        state = self.params["state"]
        problems = resolve(items, self.served(items), state, self.params["kinds_to_come"])
        if problems:
            self.module.fail_json(msg="; ".join(problems), changed=False, objects=[])
        found = {}
        # Namespaces first: one that does not exist yet means nothing in it needs reading.
        self.read(reads(namespaces_read_first(items), found), found)
        assume_missing(items, found, state)
        self.read(reads(items, found), found)

        diffs = {}
        for item in in_order(items, state):
            live = None if item.missing_because else found.get(item.identity())
            operation, differences = decide(item, live)
            self.entries[item.index] = entry(item, operation, differences)
            if operation != "none" and self.module._diff:
                diffs[item.index] = diff_entry(item, live, operation)
            if operation in ("create", "update"):
                if self.check_mode:
                    # The API validates what it can; an object whose namespace or kind is still to come cannot be.
                    if not item.missing_because:
                        self.apply(item, dry_run=True)
                else:
                    if item.kind_from is not None:
                        self.wait_served(item)
                    live = self.apply(item)
                    self.written.append(item.label)
            elif operation == "delete" and not self.check_mode:
                self.delete(item)
                self.written.append(item.label)
            if item.wait and not self.check_mode:
                self.wait_condition(item, live)

        result = {
            "changed": any(e["operation"] != "none" for e in self.entries.values()),
            "objects": [self.entries[item.index] for item in items],
        }
        if self.module._diff and diffs:
            ordered = [diffs[index] for index in sorted(diffs)]
            result["diff"] = {"before": [b for b, _a in ordered], "after": [a for _b, a in ordered]}
        return result

    def partial(self):
        return [self.entries[index] for index in sorted(self.entries)]


def main():
    module = AnsibleK8SModule(
        module_class=AnsibleModule,
        argument_spec=argument_spec(),
        supports_check_mode=True,
    )
    params = module.params
    items, problems = parse_objects(params["objects"], params["state"])
    problems += option_problems(params)
    # Secret values stay out of the results and the logged arguments, whatever else fails.
    module._module.no_log_values.update(secret_values(items))
    if problems:
        module.fail_json(msg="; ".join(problems), changed=False, objects=[])
    converger = None
    try:
        client = get_api_client(module)
        converger = Converger(module, JsonApi(client.client.client))
        result = converger.run(items)
    except CoreException as exc:
        module.fail_from_exception(exc)
    except (ObjectFailure, WaitTimeout) as exc:
        written = converger.written if converger else []
        module.fail_json(
            msg=f"{exc}; written before the failure: {', '.join(written) or 'nothing'}",
            changed=bool(written),
            written=written,
            objects=converger.partial() if converger else [],
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
