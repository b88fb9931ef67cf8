#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: node_topology
short_description: Label and taint many Kubernetes nodes in one call
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Makes the labels and taints of a set of nodes match a declared topology.
  - Reads every node with one LIST, then sends one conditional patch per node that actually needs a change,
    several at a time. Nodes that already match are not written to.
  - Labels and taints the request does not mention are kept, except those it declares as owned
    (O(owned_label_prefixes), O(owned_taint_keys)), which are removed when not declared.
  - The whole request is validated before the first write; an error names the offending field.
  - Throttling (429), server errors (5xx) and dropped connections are retried with jittered backoff;
    a node modified by someone else between the read and the write (409) is read again and re-planned,
    up to 10 times.
options:
  nodes:
    description:
      - Desired state per node name.
      - C(labels) is a mapping of label key to value; a null value removes the label.
      - C(taints) is a list of taints (C(key), optional C(value), C(effect)); a declared taint replaces the
        node's taint with the same key and effect.
    type: dict
    required: true
  owned_label_prefixes:
    description:
      - Labels this topology owns. A node's label that matches one of these and is not declared for it is removed.
      - An entry ending in C(/) matches every key under that prefix (for example C(bespin.io/)); any other entry
        matches exactly that key (for example C(domain) for the unprefixed label C(domain)).
    type: list
    elements: str
    default: []
  owned_taint_keys:
    description:
      - Taint keys this topology owns. A node's taint with one of these keys that is not declared for it is removed.
      - Taints with other keys are never touched unless declared.
    type: list
    elements: str
    default: []
  missing_nodes:
    description:
      - What to do when a declared node does not exist.
      - V(fail) stops before any write; V(warn) applies the others and warns; V(skip) applies the others silently.
    type: str
    choices: [fail, warn, skip]
    default: fail
  parallelism:
    description: How many nodes are patched at the same time (1 to 64).
    type: int
    default: 10
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Only the LIST request is sent; the result says what would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Labels and taints of each changed node, before and after.
requirements:
  - python >= 3.12
  - kubernetes >= 24.2.0
notes:
  - Writes under the C(kubernetes.io) and C(k8s.io) prefixes are refused, except the keys the
    NodeRestriction admission rules let a kubelet set (such as C(topology.kubernetes.io/zone)
    and anything under C(node.kubernetes.io/)).
seealso:
  - module: kubernetes.core.k8s_taint
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Dedicate two nodes to the auth API domain
  bespin.platform.node_topology:
    nodes:
      ip-10-0-11-23.ap-northeast-2.compute.internal:
        labels: {domain: auth, workload: api, phase: "1"}
        taints:
          - {key: domain, value: auth, effect: NoSchedule}
      ip-10-0-27-91.ap-northeast-2.compute.internal:
        labels: {domain: ai, workload: worker-ai, phase: null}
    owned_label_prefixes: [domain, workload, phase]
    owned_taint_keys: [domain]

- name: Apply every node host's node_labels / node_taints in one call (as the node_topology role does)
  bespin.platform.node_topology:
    kubeconfig: ~/.kube/config
    context: prod
    nodes: "{{ node_specs }}"
  vars:
    node_specs: >-
      {% set specs = {} %}{% for host in ansible_play_hosts %}{% set _ = specs.update({
        hostvars[host].k8s_node.name: {'labels': hostvars[host].node_labels | default({}),
                                       'taints': hostvars[host].node_taints | default([])}}) %}{% endfor %}{{ specs }}
  run_once: true
"""

RETURN = r"""
changed_nodes:
  description: Per changed (or, in check mode, to-be-changed) node, what was set and removed.
  returned: always
  type: dict
  sample:
    ip-10-0-11-23.ap-northeast-2.compute.internal:
      labels_set: {domain: auth}
      labels_removed: [phase]
      taints_added: ["domain=auth:NoSchedule"]
      taints_removed: []
missing_nodes:
  description: Declared nodes that do not exist in the cluster.
  returned: always
  type: list
  elements: str
  sample: []
unchanged:
  description: How many declared nodes already matched.
  returned: always
  type: int
  sample: 12
"""

import copy
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.bespin.platform.plugins.module_utils.k8s_json import CONFLICT
from ansible_collections.bespin.platform.plugins.module_utils.k8s_nodes import NodeApi
from ansible_collections.bespin.platform.plugins.module_utils.k8s_syntax import SyntaxProblem
from ansible_collections.bespin.platform.plugins.module_utils.node_topology import plan_node, validate_request

try:
    from kubernetes.client.rest import ApiException
except ImportError:  # AnsibleK8SModule reports the missing library
    ApiException = Exception

# A busy node (kubelet and controllers write it too) may conflict several times in a row.
MAX_CONFLICT_RETRIES = 10


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        nodes=dict(type="dict", required=True),
        owned_label_prefixes=dict(type="list", elements="str", default=[]),
        owned_taint_keys=dict(type="list", elements="str", default=[], no_log=False),  # taint names, not secrets
        missing_nodes=dict(type="str", choices=["fail", "warn", "skip"], default="fail"),
        parallelism=dict(type="int", default=10),
    )
    return spec


class NodeTopology:
    def __init__(self, module, api):
        self.module = module
        self.api = api
        params = module.params
        self.owned_label_prefixes = params["owned_label_prefixes"]
        self.owned_taint_keys = params["owned_taint_keys"]

    def run(self, request):
        existing = {node["metadata"]["name"]: node for node in self.api.list_nodes()}
        missing = sorted(name for name in request if name not in existing)
        missing_message = f"nodes: {len(missing)} declared node(s) do not exist: {', '.join(missing[:20])}"
        if missing and self.module.params["missing_nodes"] == "fail":
            self.module.fail_json(msg=missing_message, missing_nodes=missing)
        if missing and self.module.params["missing_nodes"] == "warn":
            self.module.warn(missing_message)

        plans = {}
        for name, spec in request.items():
            if name in existing:
                plan = plan_node(existing[name], spec, self.owned_label_prefixes, self.owned_taint_keys)
                if plan is not None:
                    plans[name] = plan

        failures = {}
        if plans and not self.module.check_mode:
            with ThreadPoolExecutor(max_workers=self.module.params["parallelism"]) as pool:
                outcomes = pool.map(lambda item: self._apply(item[0], request[item[0]], item[1]), plans.items())
                for name, outcome in zip(plans, outcomes, strict=True):
                    if isinstance(outcome, Exception):
                        failures[name] = str(outcome)
                    elif outcome is None:
                        del plans[name]  # someone else made the same change meanwhile
                    else:
                        plans[name] = outcome

        result = dict(
            changed=bool(plans),
            changed_nodes={name: plan["summary"] for name, plan in sorted(plans.items())},
            missing_nodes=missing,
            unchanged=len(request) - len(missing) - len(plans),
        )
        if self.module._diff:
            result["diff"] = dict(
                before={name: plan["before"] for name, plan in sorted(plans.items())},
                after={name: plan["after"] for name, plan in sorted(plans.items())},
            )
        if failures:
            self.module.fail_json(
                msg=f"Failed to update {len(failures)} node(s): "
                + "; ".join(f"{name}: {error}" for name, error in sorted(failures.items())[:10]),
                failed_nodes=failures,
                **result,
            )
        self.module.exit_json(**result)

    def _apply(self, name, spec, plan):
        """Patch one node; on a conflict read it again and re-plan. Returns the plan applied,
        None if nothing was left to do, or the exception that stopped it."""
        try:
            for _attempt in range(MAX_CONFLICT_RETRIES):
                try:
                    self.api.merge_patch_node(name, plan["patch"])
                    return plan
                except ApiException as exc:
                    if getattr(exc, "status", None) != CONFLICT:
                        raise
                # Back off a little (jittered) so concurrent writers stop colliding, then re-plan.
                self.api.retry.sleep(self.api.retry.delay(_attempt))
                node = self.api.get_node(name)
                plan = plan_node(node, spec, self.owned_label_prefixes, self.owned_taint_keys)
                if plan is None:
                    return None
            raise RuntimeError(f"still conflicting after {MAX_CONFLICT_RETRIES} attempts")
        except Exception as exc:
            return exc


def main():
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if not 1 <= params["parallelism"] <= 64:
        module.fail_json(msg=f"parallelism: {params['parallelism']} is out of range (1 to 64)")
    try:
        request = validate_request(params["nodes"], params["owned_label_prefixes"], params["owned_taint_keys"])
    except SyntaxProblem as exc:
        module.fail_json(msg=str(exc))
    try:
        client = get_api_client(module)
        NodeTopology(module, NodeApi(client.client.client)).run(request)
    except CoreException as exc:
        module.fail_from_exception(exc)
    except ApiException as exc:
        module.fail_json(msg=f"Failed to read the nodes: {exc.status} {exc.reason}")


if __name__ == "__main__":
    main()
