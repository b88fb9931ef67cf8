# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argocd_ignore_differences filter: Application-level rules as argocd-cm's system-level ones.

An Application's ignoreDifferences protects only that app's own resources; an
app of apps creates children from git that may set none. The same rules in
argocd-cm (resource.customizations.ignoreDifferences.<group>_<kind>) hold for
every Application of the instance, and keep idle reconciliations (selfHeal)
from reverting what another controller owns, such as an HPA's replica count.
"""

DOCUMENTATION = r"""
name: argocd_ignore_differences
author: bespin.platform maintainers (@bespin)
version_added: 0.2.0
short_description: Turn Application ignoreDifferences rules into argocd-cm system-level settings
description:
  - Takes a list of Argo CD Application C(ignoreDifferences) entries and returns the argocd-cm keys that apply the
    same rules to every Application of the instance,
    C(resource.customizations.ignoreDifferences.<group>_<kind>) (the kind alone for the core group), each
    value a YAML document with the rule's C(jsonPointers), C(jqPathExpressions) and C(managedFieldsManagers).
  - Rules for the same group and kind are merged. Rules that name an object (C(name) or C(namespace)) cannot
    be system-level and are left out; keep them on the Application.
options:
  _input:
    description: ignoreDifferences entries, each with C(kind), optional C(group), and the fields to ignore.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Let no Application revert the replicas an HPA sets
  ansible.builtin.set_fact:
    argocd_cm_settings: >-
      {{ [{'group': 'apps', 'kind': 'Deployment', 'jsonPointers': ['/spec/replicas']}]
         | bespin.platform.argocd_ignore_differences }}
  # {'resource.customizations.ignoreDifferences.apps_Deployment': "jsonPointers:\n- /spec/replicas\n"}
"""

RETURN = r"""
_value:
  description: argocd-cm keys and their YAML values.
  type: dict
"""

import yaml
from ansible.errors import AnsibleFilterError

PREFIX = "resource.customizations.ignoreDifferences."
FIELDS = ("jsonPointers", "jqPathExpressions", "managedFieldsManagers")


def argocd_ignore_differences(rules):
    if not isinstance(rules, list):
        raise AnsibleFilterError(f"argocd_ignore_differences: expected a list of rules, got {type(rules).__name__}")
    merged = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or not rule.get("kind"):
            raise AnsibleFilterError(f"argocd_ignore_differences: rule {index} has no kind: {rule!r}")
        if rule.get("name") or rule.get("namespace"):
            continue
        key = PREFIX + (f"{rule['group']}_{rule['kind']}" if rule.get("group") else rule["kind"])
        entry = merged.setdefault(key, {})
        for field in FIELDS:
            for value in rule.get(field) or []:
                entry.setdefault(field, [])
                # Plain str: Ansible's own string types are not YAML-representable.
                if str(value) not in entry[field]:
                    entry[field].append(str(value))
    return {key: yaml.safe_dump(entry, default_flow_style=False, sort_keys=False) for key, entry in merged.items()}


class FilterModule:
    def filters(self):
        return {"argocd_ignore_differences": argocd_ignore_differences}
