# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The eks_addon_requests filter: the eks_addons role's managed add-ons as eks_addon's O(addons) items."""

DOCUMENTATION = r"""
name: eks_addon_requests
author: bespin.platform maintainers (@bespin)
version_added: 0.3.0
short_description: Managed add-ons as M(bespin.platform.eks_addon)'s addons items, with the IAM role each assumes
description:
  - Turns add-ons as the eks_addons role declares them (C(name), C(version), C(configuration), C(state), C(iam))
    into items of O(bespin.platform.eks_addon#module:addons).
  - An add-on with C(iam) gets the role made for that profile, as its service account role with O(iam_mode=irsa),
    or as a Pod Identity association of the profile's service account with O(iam_mode=pod_identity).
options:
  _input:
    description: The add-ons.
    type: list
    elements: dict
    required: true
  iam_mode:
    description: V(pod_identity) or V(irsa).
    type: str
    required: true
  iam_profiles:
    description: The IAM profiles by name, each with its C(service_account).
    type: dict
    required: true
  role_arns:
    description: The ARN of the role made for each profile.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: A wave of add-ons
  bespin.platform.eks_addon:
    cluster_name: petclinic
    addons: "{{ wave | bespin.platform.eks_addon_requests('pod_identity', profiles, role_arns) }}"
"""

RETURN = r"""
_value:
  description: The items, in the order of the add-ons.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_plan import RequestError, wave_requests


def eks_addon_requests(wave, iam_mode, iam_profiles, role_arns):
    try:
        return wave_requests(wave, iam_mode, iam_profiles, role_arns)
    except RequestError as exc:
        raise AnsibleFilterError(f"eks_addon_requests: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"eks_addon_requests": eks_addon_requests}
