"""addon_config: configuration values parsed from JSON or YAML, schema violations named by key path."""

from __future__ import annotations

import json

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.addon_config import (
    ConfigurationError,
    parse_configuration,
    serialise_configuration,
    validate_configuration,
)

SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "replicaCount": {"type": "integer", "minimum": 1},
            "tolerations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"key": {"type": "string"}, "effect": {"enum": ["NoSchedule", "NoExecute"]}},
                },
            },
            "env": {"type": "object", "additionalProperties": {"type": "string"}},
            "labels": {"type": "object", "additionalProperties": False, "patternProperties": {"^app\\.": {}}},
        },
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, {}),
        ("", {}),
        ("  \n", {}),
        ('{"replicaCount": 2}', {"replicaCount": 2}),
        ("replicaCount: 2\nenv:\n  A: 'x'\n", {"replicaCount": 2, "env": {"A": "x"}}),
    ],
)
def test_parse_json_yaml_and_empty(text, expected):
    assert parse_configuration(text) == expected


def test_serialisation_is_stable_and_round_trips():
    one = serialise_configuration({"b": 1, "a": {"d": 2, "c": 3}})
    assert one == serialise_configuration({"a": {"c": 3, "d": 2}, "b": 1})
    assert parse_configuration(one) == {"a": {"c": 3, "d": 2}, "b": 1}


def test_valid_values_pass():
    validate_configuration(
        {"replicaCount": 2, "tolerations": [{"key": "x", "effect": "NoSchedule"}], "labels": {"app.tier": 1}},
        SCHEMA,
        "coredns",
        "v1",
    )


def test_each_violation_is_named_by_its_key_path():
    values = {
        "replicaCount": 0,
        "tolerations": [{"key": "x"}, {"key": "y", "effect": "Sometimes", "extra": True}],
        "env": {"A": 1},
        "unknown": {"deep": 1},
        "labels": {"other": 1},
    }
    with pytest.raises(ConfigurationError) as raised:
        validate_configuration(values, SCHEMA, "coredns", "v1.12.1-eksbuild.2")
    message = str(raised.value)
    for path in (
        "configuration_values.replicaCount: 0 is less than the minimum of 1",
        "configuration_values.tolerations[1].effect: 'Sometimes' is not one of",
        "configuration_values.tolerations[1].extra: unknown key 'extra'",
        "configuration_values.env.A: 1 is not of type 'string'",
        "configuration_values.unknown: unknown key 'unknown'",
        "configuration_values.labels.other: unknown key 'other'",
    ):
        assert path in message
    assert "coredns v1.12.1-eksbuild.2" in message


def test_values_for_an_add_on_without_schema_are_refused():
    with pytest.raises(ConfigurationError, match="takes no configuration values"):
        validate_configuration({"a": 1}, "", "kube-proxy", "v1")
    validate_configuration({}, "", "kube-proxy", "v1")  # nothing to configure is fine


def test_the_field_name_is_the_callers():
    with pytest.raises(ConfigurationError, match=r"^configuration_values \(current\)\.replicaCount"):
        validate_configuration({"replicaCount": "two"}, SCHEMA, "coredns", "v1", "configuration_values (current)")
