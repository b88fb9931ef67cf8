"""The chart-source decision both Helm-installing roles rely on."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.filter.helm_chart_source import helm_chart_source

UPSTREAM = {"chart": "argo-cd", "repository": "https://argoproj.github.io/argo-helm"}


def test_upstream_http_repository():
    assert helm_chart_source(UPSTREAM) == {"ref": "argo-cd", "repo": "https://argoproj.github.io/argo-helm"}


def test_oci_registry_gets_the_chart_name_appended():
    chart = {"chart": "karpenter", "repository": "oci://public.ecr.aws/karpenter/"}
    assert helm_chart_source(chart) == {"ref": "oci://public.ecr.aws/karpenter/karpenter", "repo": ""}


def test_a_mirror_overrides_every_upstream():
    assert helm_chart_source(UPSTREAM, mirror="http://127.0.0.1:21530") == {
        "ref": "argo-cd",
        "repo": "http://127.0.0.1:21530",
    }


def test_the_charts_own_ref_wins_over_a_mirror():
    chart = dict(UPSTREAM, chart_ref="/opt/charts/argo-cd-9.1.0.tgz")
    assert helm_chart_source(chart, mirror="http://mirror") == {"ref": "/opt/charts/argo-cd-9.1.0.tgz", "repo": ""}


@pytest.mark.parametrize("chart", [{}, {"repository": "https://x"}, "argo-cd", {"chart": "argo-cd"}])
def test_what_cannot_be_installed_is_named(chart):
    with pytest.raises(AnsibleFilterError, match="helm_chart_source"):
        helm_chart_source(chart)
