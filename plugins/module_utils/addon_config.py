# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS add-on configuration values: parse, serialise, validate against the add-on's JSON schema.

EKS stores configurationValues as the string it was given (JSON or YAML), so
two spellings of the same settings must compare equal: values are compared as
parsed documents, never as strings. EKS validates them only when an update is
already under way; validating here against DescribeAddonConfiguration's schema
refuses a bad key before any write and names its full path, which EKS's error
does not always do.
"""

import json
import re

try:
    import jsonschema
except ImportError:  # the module reports the missing requirement
    jsonschema = None

try:
    import yaml
except ImportError:  # ansible-core depends on PyYAML; kept optional for import sanity
    yaml = None

MAX_REPORTED_ERRORS = 10


class ConfigurationError(ValueError):
    """Configuration values the add-on would refuse; the message starts with the key path."""


def parse_configuration(text):
    """The configuration document EKS holds (a JSON or YAML string), as Python data; {} when empty."""
    if text is None or not str(text).strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        pass
    if yaml is None:
        raise ConfigurationError("configuration_values: the add-on holds YAML and PyYAML is not installed")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"configuration_values: the add-on holds neither JSON nor YAML: {exc}") from exc
    return {} if document is None else document


def serialise_configuration(values):
    """The string sent to EKS: stable JSON, so the same dict always produces the same request."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def key_path(field, parts):
    """`configuration_values.tolerations[0].effect` from the error's path parts."""
    path = field
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _unexpected_keys(error):
    """The keys an additionalProperties=false rule refused, so the path can end at the bad key itself."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    allowed = set(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    return sorted(
        key for key in error.instance if key not in allowed and not any(re.search(pattern, key) for pattern in patterns)
    )


def schema_violations(values, schema, field="configuration_values"):
    """Every violation as "<key path>: <reason>", sorted by path; [] when the values are valid."""
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    problems = []
    for error in validator_class(schema).iter_errors(values):
        parts = list(error.absolute_path)
        unexpected = _unexpected_keys(error)
        if unexpected:
            problems.extend(f"{key_path(field, [*parts, key])}: unknown key {key!r}" for key in unexpected)
        else:
            problems.append(f"{key_path(field, parts)}: {error.message}")
    return sorted(set(problems))


def validate_configuration(values, schema_text, addon_name, addon_version, field="configuration_values"):
    """Raise ConfigurationError naming each bad key path; the schema is DescribeAddonConfiguration's text."""
    if not isinstance(values, dict):
        raise ConfigurationError(f"{field}: must be a mapping, got {type(values).__name__}")
    if not values:
        return
    if not schema_text:
        raise ConfigurationError(
            f"{field}: add-on {addon_name} {addon_version} takes no configuration values (it publishes no schema)"
        )
    if jsonschema is None:
        raise ConfigurationError(f"{field}: validating the values needs the jsonschema Python library")
    try:
        schema = json.loads(schema_text)
    except ValueError as exc:
        raise ConfigurationError(f"{field}: the schema EKS published for {addon_name} is not JSON: {exc}") from exc
    problems = schema_violations(values, schema, field)
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED_ERRORS])
        more = len(problems) - MAX_REPORTED_ERRORS
        suffix = f"; and {more} more" if more > 0 else ""
        raise ConfigurationError(
            f"{shown}{suffix} (schema of add-on {addon_name} {addon_version} from DescribeAddonConfiguration)"
        )
