#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: helm_release_unlock
short_description: Unlock Helm releases an interrupted run left pending
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - A C(helm install), C(upgrade) or C(rollback) that is killed (an interrupted playbook, a lost CI runner) leaves its
    release in C(pending-install), C(pending-upgrade) or C(pending-rollback), and Helm then refuses every later
    operation on it with "another operation (install/upgrade/rollback) is in progress".
  - For each release given whose last revision is pending, this module rolls the release back to the newest revision
    that was deployed before it, or uninstalls it when it never had one, so the install or upgrade that follows
    starts from a settled release. Releases that are absent or settled are left alone.
  - Helm also leaves a release pending after an install or upgrade that succeeded, when only its last write, the
    record of the revision as deployed, failed (an API server error or a reset connection at that moment); helm
    then logs "failed to record the release" and exits 0. With O(applied=true), given right after such a command, the
    pending revision is kept instead; the release is rolled back onto that same revision, which re-applies the
    manifest already in the cluster and records it deployed.
  - Run it only where no other Helm operation on these releases can be under way (one playbook run per cluster at a
    time), since a pending release is taken to be an interrupted one.
  - Helm commands that fail with throttling, API server errors or broken connections are retried with jittered
    exponential backoff.
  - M(bespin.platform.helm_release) settles pending releases itself; this module serves playbooks that run
    M(kubernetes.core.helm) directly.
options:
  releases:
    description: The releases to look at.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The release name.
        type: str
        required: true
      namespace:
        description: The release namespace.
        type: str
        required: true
  timeout:
    description: Seconds a rollback or uninstall may take, waiting for the resources it changes.
    type: int
    default: 300
  applied:
    description:
      - Whether the operation that left a release pending is known to have finished, because the helm command that
        made the pending revision exited 0.
      - V(false), an interrupted run, undoes the pending revision (rollback to the one before, or uninstall).
      - V(true) keeps it (rollback onto itself). Never set it for a release whose operation may have been cut short.
    type: bool
    default: false
extends_documentation_fragment:
  - kubernetes.core.helm_common_options
requirements:
  - helm 3 on the controller (the binary kubernetes.core.helm uses)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The releases and their histories are read; what would be rolled back or uninstalled is returned.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Each pending release's status before, and after.
"""

EXAMPLES = r"""
- name: Unlock the add-ons' releases if an interrupted run left one pending
  bespin.platform.helm_release_unlock:
    releases:
      - {name: karpenter, namespace: kube-system}
      - {name: argo-cd, namespace: argocd}
    kubeconfig: ~/.kube/config

- name: Then install or upgrade as usual
  kubernetes.core.helm:
    name: karpenter
    release_namespace: kube-system
    chart_ref: oci://public.ecr.aws/karpenter/karpenter
    chart_version: 1.6.3
  register: karpenter_release

- name: Record the release deployed if helm applied it but lost its final write (left it pending)
  bespin.platform.helm_release_unlock:
    releases: [{name: karpenter, namespace: kube-system}]
    applied: true
  when: karpenter_release is changed and karpenter_release.status.status is match('pending-')
"""

RETURN = r"""
releases:
  description: Each release given, what was found and what was done.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The release name.
      type: str
      sample: karpenter
    namespace:
      description: The release namespace.
      type: str
      sample: kube-system
    status:
      description: The status of its last revision as found, or V(absent).
      type: str
      sample: pending-upgrade
    revision:
      description: Its last revision as found (0 when absent).
      type: int
      sample: 3
    action:
      description: V(none), V(rollback) or V(uninstall) (what would be done, in check mode). With O(applied), a rollback
        onto the pending revision itself.
      type: str
      sample: rollback
    to_revision:
      description: The revision a rollback returns to.
      type: int
      returned: when action is rollback
      sample: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bespin.platform.plugins.module_utils.helm_cli import HelmCli, HelmError
from ansible_collections.bespin.platform.plugins.module_utils.helm_pending import bad_fields, pending_release, recovery

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (
        HELM_AUTH_ARG_SPEC,
        HELM_AUTH_MUTUALLY_EXCLUSIVE,
    )
except ImportError:  # kubernetes.core is a dependency of the collection (galaxy.yml)
    HELM_AUTH_ARG_SPEC, HELM_AUTH_MUTUALLY_EXCLUSIVE = {}, []


def main():
    module = AnsibleModule(
        argument_spec=dict(
            releases=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(name=dict(type="str", required=True), namespace=dict(type="str", required=True)),
            ),
            timeout=dict(type="int", default=300),
            applied=dict(type="bool", default=False),
            **HELM_AUTH_ARG_SPEC,
        ),
        mutually_exclusive=HELM_AUTH_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    releases, timeout = module.params["releases"], module.params["timeout"]
    problems = bad_fields(releases, timeout)
    if problems:
        module.fail_json(msg="; ".join(problems))

    helm = HelmCli(module)
    results, before, after = [], {}, {}
    try:
        listed = {namespace: helm.releases(namespace) for namespace in sorted({r["namespace"] for r in releases})}
        for wanted in releases:
            name, namespace = wanted["name"], wanted["namespace"]
            found = next((r for r in listed[namespace] if r.get("name") == name), None)
            result = {
                "name": name,
                "namespace": namespace,
                "status": found["status"] if found else "absent",
                "revision": int(found["revision"]) if found else 0,
                "action": "none",
            }
            pending = pending_release(listed[namespace], name)
            if pending is not None:
                key = f"{namespace}/{name}"
                before[key] = f"{pending['status']} (revision {pending['revision']})"
                if module.params["applied"]:
                    # Kept: rolled back onto itself, so its history does not matter.
                    action, revision = "rollback", int(pending["revision"])
                    after[key] = f"deployed (revision {revision} kept: re-applied and recorded)"
                else:
                    action, revision = recovery(helm.history(name, namespace), pending["revision"])
                    after[key] = (
                        f"deployed (rolled back to revision {revision})"
                        if action == "rollback"
                        else "absent (uninstalled: it never was deployed)"
                    )
                result["action"] = action
                if action == "rollback":
                    result["to_revision"] = revision
                if not module.check_mode:
                    wait = ["--namespace", namespace, "--wait", "--timeout", f"{timeout}s"]
                    if action == "rollback":
                        helm.run("rollback", name, str(revision), *wait)
                    else:
                        helm.uninstall(name, *wait)
            results.append(result)
    except HelmError as exc:
        module.fail_json(msg=str(exc), releases=results)

    changed = bool(before)
    module.exit_json(changed=changed, releases=results, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
