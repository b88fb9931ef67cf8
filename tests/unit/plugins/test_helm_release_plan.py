"""helm_release's plan: the chart source, what differs from the release found, the option checks, masking."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.bespin.platform.plugins.module_utils.helm_release_plan import (
    MASKED,
    ChartSourceError,
    bad_fields,
    chart_name_of,
    chart_source,
    differences,
    masked_manifest,
)

DEPLOYED = {"name": "karpenter", "status": "deployed", "revision": "3", "chart": "karpenter-1.6.3"}
WANTED = {"chart_name": "karpenter", "version": "1.6.3", "values": {"replicas": 2, "settings": {"a": "b"}}}


def params(**overrides):
    base = {"name": "karpenter", "namespace": "kube-system", "state": "present", "chart_ref": "karpenter",
            "chart_version": "1.6.3", "values": {}, "timeout": 300, "wait_crds": []}  # fmt: skip
    return {**base, **overrides}


def test_a_release_as_wanted_has_no_differences():
    assert differences(DEPLOYED, {"settings": {"a": "b"}, "replicas": 2}, WANTED) == []


def test_each_difference_is_named():
    assert differences(None, {}, WANTED) == ["the release is absent"]
    failed = {**DEPLOYED, "status": "failed"}
    assert differences(failed, WANTED["values"], WANTED) == ["its last revision is failed"]
    older = {**DEPLOYED, "chart": "karpenter-1.6.2"}
    assert differences(older, WANTED["values"], WANTED) == [
        "chart karpenter-1.6.2 is installed, karpenter 1.6.3 is wanted"
    ]
    assert differences(DEPLOYED, {"replicas": 3}, WANTED) == ["its values differ"]


def test_another_chart_of_the_same_version_differs():
    assert differences({**DEPLOYED, "chart": "other-1.6.3"}, WANTED["values"], WANTED)


def test_a_local_chart_is_compared_by_version_alone():
    wanted = {**WANTED, "chart_name": None}
    assert differences(DEPLOYED, WANTED["values"], wanted) == []
    assert differences({**DEPLOYED, "chart": "karpenter-1.6.30"}, WANTED["values"], wanted)


def test_values_compare_as_helm_stores_them():
    assert differences(DEPLOYED, None, {**WANTED, "values": {}}) == []
    assert differences(DEPLOYED, {"t": ["a"]}, {**WANTED, "values": {"t": ("a",)}}) == []


@pytest.mark.parametrize(
    ("ref", "name"),
    [("karpenter", "karpenter"), ("oci://public.ecr.aws/karpenter/karpenter", "karpenter"),
     ("./charts/redis-ha", None), ("/opt/argo-cd-9.1.0.tgz", None)],
)  # fmt: skip
def test_the_chart_name_a_ref_says(ref, name):
    assert chart_name_of(ref) == name


def test_chart_sources_in_order():
    upstream = {"chart": "argo-cd", "repository": "https://argoproj.github.io/argo-helm"}
    assert chart_source(upstream) == {"ref": "argo-cd", "repo": "https://argoproj.github.io/argo-helm"}
    assert chart_source(upstream, mirror="http://m") == {"ref": "argo-cd", "repo": "http://m"}
    assert chart_source({**upstream, "chart_ref": "/c.tgz"}, mirror="http://m") == {"ref": "/c.tgz", "repo": ""}
    oci = {"chart": "karpenter", "repository": "oci://public.ecr.aws/karpenter/"}
    assert chart_source(oci) == {"ref": "oci://public.ecr.aws/karpenter/karpenter", "repo": ""}
    with pytest.raises(ChartSourceError):
        chart_source({"chart": "x"})


def test_every_bad_option_is_named_at_once():
    problems = bad_fields(params(name="Bad_Name", namespace="x" * 64, chart_version=" ", timeout=0,
                                 wait_crds=["nodepools"]))  # fmt: skip
    named = [problem.split(" ")[0] for problem in problems]
    assert named == ["name", "namespace", "chart_version", "timeout", "wait_crds[0]"]
    assert bad_fields(params(name="x" * 54))[0].startswith("name must be a DNS subdomain")
    assert bad_fields(params(chart_ref=None))[0].startswith("chart_ref is required")
    assert bad_fields(params(state="absent", chart_ref=None, chart_version=None)) == []
    assert bad_fields(params()) == []


def test_secret_data_is_masked_in_manifests():
    manifest = (
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: c2VjcmV0}\n"
        "stringData: {token: plain}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n"
    )
    masked = list(yaml.safe_load_all(masked_manifest(manifest)))
    assert masked[0]["data"] == {"password": MASKED}
    assert masked[0]["stringData"] == {"token": MASKED}
    assert masked[1]["data"] == {"k": "v"}
    assert "c2VjcmV0" not in masked_manifest(manifest)
    assert masked_manifest("") == ""


def test_an_uninstall_of_a_release_already_gone_is_not_an_error():
    from ansible_collections.bespin.platform.plugins.module_utils.helm_cli import RELEASE_NOT_FOUND

    assert RELEASE_NOT_FOUND.search("Error: uninstall: Release not loaded: karpenter: release: not found")
    assert not RELEASE_NOT_FOUND.search("Error: uninstall: the server could not find the requested resource")
