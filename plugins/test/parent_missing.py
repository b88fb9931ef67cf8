# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parent_missing test: did an API refuse a task only because what its object
lives in does not exist yet?

In check mode nothing is created, so a task whose object lives in something an
earlier task would create (a namespace, a CRD's kind, an Azure resource group,
an IAM role) is refused by the API, dry run or not. That refusal is itself the
answer check mode needs: the object cannot exist inside a parent that does not,
so the real run would create it. Roles use this test in changed_when and
failed_when, only while they know the parent is still to be created.
"""

import re

DOCUMENTATION = r"""
name: parent_missing
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: Whether a task failed only because the parent of its object does not exist
description:
  - True when a registered task result failed and the API's refusal says that the parent of the object does not
    exist, rather than anything about the object itself.
  - "Recognised refusals: a Kubernetes namespace that does not exist (C(NotFound) with C(details.kind: namespaces),
    also for a server-side dry run); a kind the cluster does not serve (its CRD is not installed); an Azure resource
    group that does not exist (C(ResourceGroupNotFound)); an AWS IAM entity that does not exist (C(NoSuchEntity))."
  - Any other failure, and any result that did not fail, is not a missing parent.
options:
  _input:
    description: A registered task result (or one item of a loop's C(results)).
    type: dict
    required: true
  name:
    description:
      - The parent that must be the one missing (a namespace, a kind, a resource group, an IAM role name).
      - Any parent when left out.
    type: str
"""

EXAMPLES = r"""
- name: Keep the password in its Secret
  kubernetes.core.k8s:
    definition: "{{ secret }}"
  register: secret
  # In check mode the namespace created above does not exist yet: the Secret would be created.
  changed_when: secret is changed or (ns_pending and secret is bespin.platform.parent_missing(ns))
  failed_when: secret is failed and not (ns_pending and secret is bespin.platform.parent_missing(ns))
"""

RETURN = r"""
_value:
  description: True when the result failed because its object's parent does not exist.
  type: bool
"""

# A Kubernetes Status in the module's message: "Failed to create object: {...}".
K8S_NOT_FOUND = re.compile(r'"reason"\s*:\s*"NotFound"')
K8S_DETAILS = re.compile(r'"details"\s*:\s*\{(?P<body>[^}]*)\}')
K8S_NAMESPACES = re.compile(r'"kind"\s*:\s*"namespaces"')
# kubernetes.core's discovery, before any request: the kind is not served.
K8S_NO_KIND = re.compile(r"Failed to find exact match for (?P<kind>\S+) by ")
AZURE_NO_GROUP = re.compile(r"\bResourceGroupNotFound\b")


def _k8s_namespace_missing(message, name):
    if not K8S_NOT_FOUND.search(message):
        return False
    details = K8S_DETAILS.search(message)
    if not details or not K8S_NAMESPACES.search(details["body"]):
        return False
    return name is None or re.search(rf'"name"\s*:\s*"{re.escape(name)}"', details["body"]) is not None


def _k8s_kind_missing(message, name):
    match = K8S_NO_KIND.search(message)
    if not match:
        return False
    # "<group>/<version>.<Kind>", or "<version>.<Kind>" for the core group.
    served = match["kind"]
    return name is None or served == name or served.rsplit(".", 1)[-1] == name


def _azure_group_missing(message, name):
    if not AZURE_NO_GROUP.search(message):
        return False
    return name is None or f"'{name}'" in message or f" {name} " in message


def _aws_entity_missing(result, name):
    error = result.get("error") or {}
    if not isinstance(error, dict) or error.get("code") != "NoSuchEntity":
        return False
    if name is None:
        return True
    # Whole names only: "petclinic" is not "petclinic-karpenter".
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", str(error.get("message", ""))) is not None


def parent_missing(result, name=None):
    if not isinstance(result, dict) or not result.get("failed"):
        return False
    message = str(result.get("msg", ""))
    name = None if name is None else str(name)
    return (
        _k8s_namespace_missing(message, name)
        or _k8s_kind_missing(message, name)
        or _azure_group_missing(message, name)
        or _aws_entity_missing(result, name)
    )


class TestModule:
    def tests(self):
        return {"parent_missing": parent_missing}
