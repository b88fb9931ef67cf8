"""The EKS add-on catalogue is well formed: real version strings, one default per cluster version, valid schemas."""

from __future__ import annotations

import re

import jsonschema
import pytest

from bespin_sandbox.aws.catalogue import ADDONS, KUBERNETES_VERSIONS

VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")


@pytest.mark.parametrize("name", sorted(ADDONS))
def test_addon_versions_and_defaults(name):
    spec = ADDONS[name]
    for version in spec.versions:
        assert VERSION.match(version.version), version.version
        assert set(version.clusters) <= set(KUBERNETES_VERSIONS)
        assert set(version.default_for) <= set(version.clusters)
    for kubernetes_version in KUBERNETES_VERSIONS:
        defaults = [v for v in spec.versions if kubernetes_version in v.default_for]
        assert len(defaults) == 1, f"{name} on {kubernetes_version}: {len(defaults)} defaults"
        assert spec.default_version(kubernetes_version) is defaults[0]


@pytest.mark.parametrize("name", sorted(ADDONS))
def test_configuration_schema_is_valid_and_strict(name):
    schema = ADDONS[name].schema
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert not list(jsonschema.Draft7Validator(schema).iter_errors({}))
    assert list(jsonschema.Draft7Validator(schema).iter_errors({"noSuchKey": 1}))


def test_kube_proxy_follows_the_cluster_minor_version():
    for version in ADDONS["kube-proxy"].versions:
        assert all(version.version.startswith(f"v{cluster}.") for cluster in version.clusters)
