# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The acm_uncovered filter: which host names a certificate's names leave out.

The names are compared as ACM compares them (acm_names): case apart and without a
trailing dot, a wildcard covering one label. A play checks with it that the
certificate bespin.platform.acm_certificate_request returned serves every host
before it points a listener at it.
"""

DOCUMENTATION = r"""
name: acm_uncovered
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: The host names a certificate's names do not cover
description:
  - Takes a certificate's names (its domain name and subject alternative names) and returns the given host names
    that none of them covers, in the order given.
  - Names are compared in lower case and without a trailing dot. A wildcard C(*.example.com) covers one label
    (C(www.example.com)), not C(example.com) nor C(a.b.example.com).
options:
  _input:
    description: The certificate's names.
    type: list
    elements: str
    required: true
  names:
    description: The host names the certificate must cover.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The certificate covers every host the listener serves
  ansible.builtin.assert:
    that: (certificate.subject_alternative_names | bespin.platform.acm_uncovered(hosts)) == []
  vars:
    hosts: [petclinic.example.com, www.petclinic.example.com]
  # ['*.example.com'] | bespin.platform.acm_uncovered(['a.example.com', 'example.com']) gives ['example.com']
"""

RETURN = r"""
_value:
  description: The O(names) not covered, as given.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.module_utils.host_names import uncovered


def _names(value, what):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError(f"acm_uncovered: {what} must be a list of names, got {type(value).__name__}")
    if not all(isinstance(name, str) for name in value):
        raise AnsibleFilterError(f"acm_uncovered: every one of {what} must be a string")
    return list(value)


def acm_uncovered(cert_names, names):
    return uncovered(_names(cert_names, "the certificate's names"), _names(names, "the names"))


class FilterModule:
    def filters(self):
        return {"acm_uncovered": acm_uncovered}
