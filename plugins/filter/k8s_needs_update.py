# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The k8s_needs_update filter: does a live object differ from what we declare?

kubernetes.core.k8s sends a PATCH on every run for custom resources whose spec
holds lists (its client-side apply merges lists only for built-in kinds, and
server-side apply is always a request). Roles that promise a rerun writes
nothing read the object first and send it only when this filter says so.
"""

DOCUMENTATION = r"""
name: k8s_needs_update
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: Whether a live Kubernetes object lacks or differs in any field of a desired definition
description:
  - Compares the desired definition with the live object field by field, only where the desired one sets a
    field. Fields only the live object has (status, defaults, other controllers' labels and annotations) are
    ignored, so an object someone else also writes to does not look changed.
  - Lists are compared item by item, in order. An empty mapping, list or string, or V(false), in the desired
    definition matches a field the live object leaves out (the API server drops empty lists such as
    C(metadata.finalizers), and a controller that writes an object back drops false bools).
  - Scalars of different types are equal when their text is (C(5) and C("5")).
options:
  _input:
    description: The desired definition (or any part of it).
    type: raw
    required: true
  live:
    description:
      - The live object as read (the first of C(kubernetes.core.k8s_info)'s C(resources)).
      - Empty or null when there is none.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the root Application
  kubernetes.core.k8s_info:
    kind: Application
    namespace: argocd
    name: root
  register: root_now

- name: Send it only when it is missing or differs
  kubernetes.core.k8s:
    definition: "{{ root_app }}"
  when: root_app | bespin.platform.k8s_needs_update(root_now.resources | first | default({}))
"""

RETURN = r"""
_value:
  description: True when the object is missing or any field the desired definition sets differs.
  type: bool
"""


from ansible_collections.bespin.platform.plugins.module_utils.k8s_compare import k8s_needs_update


class FilterModule:
    def filters(self):
        return {"k8s_needs_update": k8s_needs_update}
