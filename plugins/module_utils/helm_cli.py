# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helm commands the collection's Helm modules run, each retried on transient failures.

Authentication is kubernetes.core's: its AnsibleHelmModule turns the
kubeconfig/context/host/api_key/ca_cert/validate_certs options (HELM_AUTH_ARG_SPEC)
into helm's environment, exactly as kubernetes.core.helm does. What kubernetes.core
has no helper for (retries on throttling and broken connections, JSON reads of
the release list and history, values given on stdin) is here.
"""

import json
import re

from ansible_collections.bespin.platform.plugins.module_utils.backoff import RetryPolicy
from ansible_collections.bespin.platform.plugins.module_utils.helm_pending import is_transient

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.helm import AnsibleHelmModule
except ImportError:  # kubernetes.core is a dependency of the collection (galaxy.yml)
    AnsibleHelmModule = None


class HelmError(Exception):
    def __init__(self, command, rc, stderr):
        super().__init__(f"helm {' '.join(command[1:3])} failed ({rc}): {stderr.strip()}")
        self.stderr = stderr
        self.rc = rc


# What helm says when the release to uninstall is not there (a retried uninstall whose first try removed it).
RELEASE_NOT_FOUND = re.compile(r"release: not found|release not loaded", re.IGNORECASE)


def classify_transient(exc):
    """For RetryPolicy: a helm failure worth trying again (no Retry-After hint), or None."""
    return 0.0 if isinstance(exc, HelmError) and is_transient(exc.stderr) else None


class HelmCli:
    """One module's helm, on kubernetes.core's environment for the auth options it was given."""

    def __init__(self, module, retry=None):
        if AnsibleHelmModule is None:
            module.fail_json(msg="the kubernetes.core collection is required (its helm module_utils)")
        # The AnsibleModule itself, also under kubernetes.core's AnsibleK8SModule (which does not proxy
        # run_command); AnsibleHelmModule wraps it and adds the helm environment for its auth options.
        module = getattr(module, "_module", module)
        self.helm = AnsibleHelmModule(module=module)
        self.module = module
        self.binary = self.helm.get_helm_binary()
        self.retry = retry or RetryPolicy(attempts=6, base_delay=0.5, max_delay=8.0)

    def run(self, *args, data=None, retry=True):
        """helm's stdout; HelmError when it fails (after the retries, for a transient failure)."""
        command = [self.binary, *args]

        def once():
            rc, out, err = self.module.run_command(command, environ_update=self.helm.env_update, data=data)
            if rc != 0:
                raise HelmError(command, rc, err or out)
            return out

        return self.retry.call(once, classify_transient) if retry else once()

    def uninstall(self, name, *args):
        """helm uninstall; a release already gone is what was asked for, also when an earlier try removed it and
        then failed on a transient error."""
        try:
            return self.run("uninstall", name, *args)
        except HelmError as exc:
            if RELEASE_NOT_FOUND.search(exc.stderr or ""):
                return ""
            raise

    def releases(self, namespace, name=None):
        """`helm list --all` in a namespace (only `name`, when given), as dicts."""
        args = ["list", "--all", "--namespace", namespace, "--output", "json"]
        if name:
            args += ["--filter", f"^{name}$"]
        return json.loads(self.run(*args) or "[]")

    def release(self, name, namespace):
        """The release's last revision as `helm list` shows it (name, status, revision, chart, ...), or None."""
        return next((r for r in self.releases(namespace, name) if r.get("name") == name), None)

    def history(self, name, namespace):
        return json.loads(self.run("history", name, "--namespace", namespace, "--max", "256", "--output", "json"))

    def user_values(self, name, namespace):
        """The values the release was installed with (without the chart's defaults)."""
        return json.loads(self.run("get", "values", name, "--namespace", namespace, "--output", "json")) or {}

    def manifest(self, name, namespace):
        return self.run("get", "manifest", name, "--namespace", namespace)
