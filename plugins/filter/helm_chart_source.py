# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helm_chart_source filter: where a role's Helm chart comes from.

Every role that installs a chart (eks_addons, argocd) offers the same three
sources; this is the one place that decides between them.
"""

DOCUMENTATION = r"""
name: helm_chart_source
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: Pick a Helm chart's source (local path, OCI, mirror or upstream repository)
description:
  - Turns a chart description into the O(kubernetes.core.helm#module:chart_ref) and
    O(kubernetes.core.helm#module:chart_repo_url) to install it from. The first match wins.
  - The chart's own C(chart_ref), when set (a local chart path, or a full C(oci://) reference).
  - The O(mirror) repository, when set (one HTTP(S) repository mirroring every chart, for
    air-gapped clusters, such as Artifactory, ChartMuseum, Harbor or the sandbox's chart repository).
  - The chart's upstream C(repository) - an HTTP(S) chart repository, or an C(oci://) registry
    path the chart name is appended to.
options:
  _input:
    description: The chart, with keys C(chart) (its name), C(repository) (upstream) and optionally C(chart_ref).
    type: dict
    required: true
  mirror:
    description: A chart repository URL that overrides every upstream repository; empty for none.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Install a chart from wherever the inventory says
  kubernetes.core.helm:
    name: argocd
    release_namespace: argocd
    chart_ref: "{{ source.ref }}"
    chart_repo_url: "{{ source.repo | default(omit, true) }}"
    chart_version: 9.1.0
  vars:
    source: >-
      {{ {'chart': 'argo-cd', 'repository': 'https://argoproj.github.io/argo-helm'}
         | bespin.platform.helm_chart_source(mirror=chart_mirror | default('')) }}
"""

RETURN = r"""
_value:
  description: C(ref) (for chart_ref) and C(repo) (for chart_repo_url; empty when the ref says it all).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.module_utils.helm_release_plan import ChartSourceError, chart_source


def helm_chart_source(chart, mirror=""):
    try:
        return chart_source(chart, mirror)
    except ChartSourceError as exc:
        raise AnsibleFilterError(f"helm_chart_source: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"helm_chart_source": helm_chart_source}
