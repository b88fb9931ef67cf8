# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helm_record_lost test: did kubernetes.core.helm install or upgrade a release
that Helm then failed to record as deployed?

helm exits 0 when only its last write (the record of the new revision as deployed)
fails, and kubernetes.core.helm then reports a change with the release's status
read afterwards, which is still pending. Roles run helm_release_unlock with
applied=true only on such a result, so the common case costs no helm call.
"""

DOCUMENTATION = r"""
name: helm_record_lost
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: Whether a Helm install or upgrade succeeded but left its release pending
description:
  - True when a registered M(kubernetes.core.helm) result changed the release and the release status it returns
    (C(status.status), read after the helm command) is pending, C(pending-install), C(pending-upgrade) or
    C(pending-rollback).
  - That is what Helm leaves when the command applied everything but its last write, the record of the revision
    as deployed, failed; M(bespin.platform.helm_release_unlock) with
    O(bespin.platform.helm_release_unlock#module:applied=true) then keeps the revision.
  - Any other result (unchanged, failed, check mode, a deployed or failed release) is not a lost record.
options:
  _input:
    description: A registered M(kubernetes.core.helm) result.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Install or upgrade the release
  kubernetes.core.helm:
    name: karpenter
    release_namespace: kube-system
    chart_ref: oci://public.ecr.aws/karpenter/karpenter
    chart_version: 1.6.3
  register: karpenter_release

- name: Record the release deployed if Helm lost that write
  bespin.platform.helm_release_unlock:
    releases: [{name: karpenter, namespace: kube-system}]
    applied: true
  when: karpenter_release is bespin.platform.helm_record_lost
"""

RETURN = r"""
_value:
  description: True when the install or upgrade changed the release and left it pending.
  type: bool
"""

from ansible_collections.bespin.platform.plugins.module_utils.helm_pending import PENDING


def helm_record_lost(result):
    if not isinstance(result, dict) or result.get("failed") or not result.get("changed"):
        return False
    # In check mode kubernetes.core returns the values it compared, with no release status.
    status = result.get("status")
    return isinstance(status, dict) and status.get("status") in PENDING


class TestModule:
    def tests(self):
        return {"helm_record_lost": helm_record_lost}
