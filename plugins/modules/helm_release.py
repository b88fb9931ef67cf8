#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: helm_release
short_description: Converge one Helm release, settling what interrupted runs and lost writes leave behind
version_added: 0.2.0
author: bespin.platform maintainers (@bespin)
description:
  - Installs or upgrades one Helm release to a pinned chart version and values, or uninstalls it, the way every role
    of the collection needs it, in one module process.
  - Before anything else, a release an interrupted run left C(pending-install), C(pending-upgrade) or
    C(pending-rollback) (which Helm refuses to touch again) is rolled back to its last deployed revision, or
    uninstalled when it never was deployed, as M(bespin.platform.helm_release_unlock) does.
  - The release is upgraded (C(helm upgrade --install)) only when it differs from what is asked; its status, its
    chart name and version, or the values it was installed with (compared as helm stores them, without the chart's
    defaults). A rerun with the same arguments makes no helm write.
  - Helm exits 0 when only its last write, the record of the new revision as deployed, fails; the release then stays
    pending and the next run would undo it. This module sees the pending status after a successful command and rolls
    the release back onto that revision, which re-applies it and records it deployed, in the same run.
  - Helm commands that fail with throttling, API server errors or broken connections are retried with jittered
    exponential backoff, settling the release before each new try; other failures are reported at once.
  - After the release, it waits where asked for CustomResourceDefinitions to be Established and Deployments to be
    Available (webhook servers the next tasks depend on).
options:
  name:
    description: The release name.
    type: str
    required: true
  namespace:
    description: The release namespace.
    type: str
    required: true
  state:
    description: V(present) installs or upgrades; V(absent) uninstalls (the chart's CRDs stay, as with helm).
    type: str
    choices: [present, absent]
    default: present
  chart_ref:
    description:
      - The chart; a name in O(chart_repo_url), a full C(oci://) reference or a local path or archive.
      - Required with O(state=present).
    type: str
  chart_repo_url:
    description: The chart repository URL, for a O(chart_ref) that is a chart name.
    type: str
  chart_version:
    description: The chart version, pinned. Required with O(state=present).
    type: str
  values:
    description: The release's values (merged over the chart's defaults by helm).
    type: dict
    default: {}
  create_namespace:
    description: Create the release namespace when it does not exist.
    type: bool
    default: true
  wait:
    description: Let helm wait until the release's resources are ready (C(--wait)), within O(timeout).
    type: bool
    default: true
  timeout:
    description: Seconds each helm operation, and each wait of O(wait_crds) and O(wait_deployments), may take.
    type: int
    default: 300
  wait_crds:
    description: CustomResourceDefinitions (C(<plural>.<group>)) to wait for until they are Established.
    type: list
    elements: str
    default: []
  wait_deployments:
    description: Deployments in O(namespace) to wait for until they are Available.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - kubernetes.core.helm_common_options
requirements:
  - helm 3 on the controller (the binary kubernetes.core.helm uses)
  - kubernetes (the Python client), for O(wait_crds) and O(wait_deployments)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The release is read and compared; nothing is written, and nothing is waited for.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: >-
      The release's status, chart and values before and after, and its manifests (the deployed ones against
      C(helm template)'s rendering, with the data of Secrets masked) when it is to be upgraded.
notes:
  - Run it only where no other Helm operation on this release can be under way (one playbook run per cluster at a
    time), since a pending release is taken to be an interrupted one.
seealso:
  - module: kubernetes.core.helm
  - module: bespin.platform.helm_release_unlock
"""

EXAMPLES = r"""
- name: Karpenter, with its CRDs and webhook ready for the NodePools that follow
  bespin.platform.helm_release:
    name: karpenter
    namespace: kube-system
    chart_ref: oci://public.ecr.aws/karpenter/karpenter
    chart_version: 1.6.3
    values:
      settings: {clusterName: prod}
    wait_crds: [nodepools.karpenter.sh, ec2nodeclasses.karpenter.k8s.aws]
    kubeconfig: ~/.kube/config

- name: Remove a release
  bespin.platform.helm_release:
    name: opencost
    namespace: opencost
    state: absent
"""

RETURN = r"""
operation:
  description: V(none), V(install), V(upgrade) or V(uninstall); what was done, or would be in check mode.
  returned: always
  type: str
  sample: upgrade
differences:
  description: Why the release was (or would be) installed or upgraded; empty when it is as asked.
  returned: always
  type: list
  elements: str
  sample: ["chart karpenter-1.6.2 is installed, karpenter 1.6.3 is wanted"]
settled:
  description:
    - What was done about a release found pending, before anything else (V(none), V(rollback) or V(uninstall)),
      and V(kept) when this module's own command applied a revision whose record Helm lost.
  returned: always
  type: str
  sample: none
status:
  description: The release as found after the run (or before, in check mode); C(status) is V(absent) without one.
  returned: always
  type: dict
  contains:
    status:
      description: The status of its last revision.
      type: str
      sample: deployed
    revision:
      description: Its last revision (0 when absent).
      type: int
      sample: 3
    chart:
      description: The chart and version it runs, as helm names them.
      type: str
      sample: karpenter-1.6.3
    app_version:
      description: The application version of that chart.
      type: str
      sample: 1.6.3
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (
    HELM_AUTH_ARG_SPEC,
    HELM_AUTH_MUTUALLY_EXCLUSIVE,
)
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.bespin.platform.plugins.module_utils.backoff import RetryPolicy
from ansible_collections.bespin.platform.plugins.module_utils.helm_cli import HelmCli, HelmError, classify_transient
from ansible_collections.bespin.platform.plugins.module_utils.helm_pending import PENDING, recovery
from ansible_collections.bespin.platform.plugins.module_utils.helm_release_plan import (
    bad_fields,
    chart_name_of,
    differences,
    masked_manifest,
    normalised,
)
from ansible_collections.bespin.platform.plugins.module_utils.k8s_json import NOT_FOUND, JsonApi
from ansible_collections.bespin.platform.plugins.module_utils.waiting import Poller, WaitTimeout, has_condition


def absent_status():
    return {"status": "absent", "revision": 0, "chart": "", "app_version": ""}


def status_of(found):
    if found is None:
        return absent_status()
    return {
        "status": found.get("status", ""),
        "revision": int(found.get("revision") or 0),
        "chart": found.get("chart", ""),
        "app_version": found.get("app_version", ""),
    }


class Release:
    def __init__(self, module, helm):
        self.module = module
        self.helm = helm
        self.params = module.params
        self.name, self.namespace = self.params["name"], self.params["namespace"]
        self.settled = "none"
        # An upgrade that failed on a transient error is tried again, settling the release first. An install makes
        # a hundred requests or more, and client-go retries none of them but 429s: under a few percent of 5xx and
        # resets most tries fail, hence as many tries as the roles' own retries gave kubernetes.core.helm (nine).
        self.retry = RetryPolicy(attempts=10, base_delay=2.0, max_delay=10.0)

    def read(self):
        return self.helm.release(self.name, self.namespace)

    def helm_wait(self):
        args = ["--namespace", self.namespace, "--timeout", f"{self.params['timeout']}s"]
        return args + (["--wait"] if self.params["wait"] else [])

    def settle(self, found, applied=False):
        """Leave a pending release settled; returns what it is now (from helm, or as predicted in check mode)."""
        if found is None or found.get("status") not in PENDING:
            return found
        if applied:
            action, revision, self.settled = "rollback", int(found["revision"]), "kept"
        else:
            action, revision = recovery(self.helm.history(self.name, self.namespace), found["revision"])
            self.settled = action
        if self.module.check_mode:
            return None if action == "uninstall" else {**found, "status": "deployed"}
        if action == "rollback":
            self.helm.run("rollback", self.name, str(revision), *self.helm_wait())
        else:
            self.helm.uninstall(self.name, *self.helm_wait())
        return self.read()

    def wanted(self):
        return {
            "chart_name": chart_name_of(self.params["chart_ref"]),
            "version": self.params["chart_version"],
            "values": self.params["values"],
        }

    def chart_args(self, values_file):
        args = [self.params["chart_ref"], "--version", self.params["chart_version"], "--values", values_file]
        if self.params["chart_repo_url"]:
            args += ["--repo", self.params["chart_repo_url"]]
        return args

    def values_file(self):
        # Written 0600 in the module's temporary directory and removed when the module exits; values may hold what
        # a chart turns into Secrets, so they never go on the command line.
        fd, path = tempfile.mkstemp(suffix=".json", dir=self.helm.module.tmpdir)
        with os.fdopen(fd, "w") as handle:
            json.dump(normalised(self.params["values"]), handle)
        self.helm.module.add_cleanup_file(path)
        return path

    def upgrade(self):
        """helm upgrade --install, retried on transient failures, each try on a settled release."""
        values_file = self.values_file()
        args = ["upgrade", "--install", self.name, *self.chart_args(values_file), *self.helm_wait()]
        if self.params["create_namespace"]:
            args.append("--create-namespace")

        tries = []

        def attempt():
            if tries:  # a failed try may have left the release pending
                self.settle(self.read())
            tries.append(1)
            return self.helm.run(*args, retry=False)

        self.retry.call(attempt, classify_transient)
        # Exit 0 with the release still pending: helm applied the revision but lost the write recording it.
        return self.settle(self.read(), applied=True)

    def diff(self, found, reasons):
        before = {"status": status_of(found), "values": normalised(self.found_values)}
        after = {"status": {"status": "deployed", "chart": self.params["chart_ref"],
                            "version": self.params["chart_version"]},
                 "values": normalised(self.params["values"])}  # fmt: skip
        if reasons:
            before["manifest"] = masked_manifest(self.helm.manifest(self.name, self.namespace) if found else "")
            values_file = self.values_file()
            rendered = self.helm.run("template", self.name, *self.chart_args(values_file), "--namespace",
                                     self.namespace, *(["--is-upgrade"] if found else []))  # fmt: skip
            after["manifest"] = masked_manifest(rendered)
        return {"before": before, "after": after}

    def present(self):
        found = self.settle(self.read())
        self.found_values = self.helm.user_values(self.name, self.namespace) if found else {}
        reasons = differences(found, self.found_values, self.wanted())
        result = {"differences": reasons, "operation": "none"}
        if self.module._diff:
            result["diff"] = self.diff(found, reasons)
        if reasons:
            result["operation"] = "upgrade" if found else "install"
            if not self.module.check_mode:
                found = self.upgrade()
        if not self.module.check_mode:
            self.wait_for_dependents()
        result["status"] = status_of(found)
        result["changed"] = bool(reasons) or self.settled != "none"
        return result

    def absent(self):
        found = self.settle(self.read())
        result = {"differences": [], "operation": "none"}
        if found is not None:
            result["operation"] = "uninstall"
            result["differences"] = ["the release is present"]
            if self.module._diff:
                result["diff"] = {"before": {"status": status_of(found)}, "after": {"status": absent_status()}}
            if not self.module.check_mode:
                self.helm.uninstall(self.name, *self.helm_wait())
                found = None
        result["status"] = status_of(found)
        result["changed"] = result["operation"] != "none" or self.settled != "none"
        return result

    def wait_for_dependents(self):
        crds, deployments = self.params["wait_crds"], self.params["wait_deployments"]
        if not crds and not deployments:
            return
        api = JsonApi(get_api_client(module=self.module).client.client)
        poller = Poller(self.params["timeout"])

        def ready(path, condition):
            def check(name):
                try:
                    return has_condition(api.request("GET", path.format(name=name)), condition)
                except Exception as exc:  # a CRD or Deployment not created yet is waited for
                    if getattr(exc, "status", None) == NOT_FOUND:
                        return False
                    raise

            return check

        poller.until_ready(
            crds,
            ready("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}", "Established"),
        )
        poller.until_ready(
            deployments,
            ready(f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{{name}}", "Available"),
        )


def main():
    module = AnsibleK8SModule(
        module_class=AnsibleModule,
        argument_spec=dict(
            name=dict(type="str", required=True),
            namespace=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            chart_ref=dict(type="str"),
            chart_repo_url=dict(type="str"),
            chart_version=dict(type="str"),
            values=dict(type="dict", default={}),
            create_namespace=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=300),
            wait_crds=dict(type="list", elements="str", default=[]),
            wait_deployments=dict(type="list", elements="str", default=[]),
            **HELM_AUTH_ARG_SPEC,
        ),
        mutually_exclusive=HELM_AUTH_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    problems = bad_fields(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    release = Release(module, HelmCli(module))
    try:
        result = release.present() if module.params["state"] == "present" else release.absent()
    except HelmError as exc:
        module.fail_json(msg=str(exc), settled=release.settled)
    except WaitTimeout as exc:
        module.fail_json(msg=f"release {release.namespace}/{release.name} installed, but {exc}")
    module.exit_json(settled=release.settled, **result)


if __name__ == "__main__":
    main()
