# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloudfront_drift filter: what a distribution lacks of the settings the dr_failover role gives it.

community.aws.cloudfront_distribution has no check mode, and on an unchanged rerun
it compares its own rebuilt config with the one CloudFront returns, which differ in
fields it never sets (CachePolicyId, RealtimeLogConfigArn, ...): it reports a
change and writes again. So the role compares first, here, only the fields it
sets, and calls the module only when one differs: a rerun writes nothing, and
check mode predicts the change field by field.

Both sides are reduced to one shape: the module's arguments (snake case, as the
role passes them) and the DistributionConfig that
community.aws.cloudfront_distribution_info returns (CloudFront's own CamelCase).
"""

DOCUMENTATION = r"""
name: cloudfront_drift
author: bespin.platform maintainers (@bespin)
version_added: 0.3.0
short_description: Where a CloudFront distribution differs from community.aws.cloudfront_distribution arguments
description:
  - Compares a distribution's C(DistributionConfig) (as community.aws.cloudfront_distribution_info returns it) with the
    arguments the dr_failover role gives community.aws.cloudfront_distribution, on the fields those arguments set
    (aliases, origins and their HTTPS settings, behaviours, error responses, certificate, root object, price class,
    IPv6, comment, enabled).
  - Returns one entry per differing field, with its value before and after; an empty list when nothing differs. No
    distribution (an empty or missing config) differs in every field.
options:
  _input:
    description: The distribution's C(DistributionConfig), or an empty dict when there is none.
    type: dict
    required: true
  wanted:
    description: The arguments for community.aws.cloudfront_distribution.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: What the distribution lacks
  ansible.builtin.set_fact:
    drift: "{{ found.DistributionConfig | default({}) | bespin.platform.cloudfront_drift(wanted_arguments) }}"
  # [{'field': 'aliases', 'before': ['old.example.com'], 'after': ['www.example.com']}]
"""

RETURN = r"""
_value:
  description: The differing fields, each with C(field), C(before) (V(null) when there is no distribution) and C(after).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

# Each compared field: its name, where CloudFront's DistributionConfig keeps it,
# where the module's arguments do, and its default (whose type says how to compare).
CONFIG = 0
ARGUMENTS = 1
ORIGIN = (
    ("domain_name", ("DomainName",), ("domain_name",), ""),
    ("origin_path", ("OriginPath",), ("origin_path",), ""),
    (
        "protocol_policy",
        ("CustomOriginConfig", "OriginProtocolPolicy"),
        ("custom_origin_config", "origin_protocol_policy"),
        "",
    ),
    ("https_port", ("CustomOriginConfig", "HTTPSPort"), ("custom_origin_config", "https_port"), 443),
    (
        "ssl_protocols",
        ("CustomOriginConfig", "OriginSslProtocols"),
        ("custom_origin_config", "origin_ssl_protocols"),
        [],
    ),
)
BEHAVIOR = (
    ("target_origin_id", ("TargetOriginId",), ("target_origin_id",), ""),
    ("viewer_protocol_policy", ("ViewerProtocolPolicy",), ("viewer_protocol_policy",), ""),
    ("allowed_methods", ("AllowedMethods",), ("allowed_methods",), []),
    ("default_ttl", ("DefaultTTL",), ("default_ttl",), 0),
    ("max_ttl", ("MaxTTL",), ("max_ttl",), 0),
    ("forward_cookies", ("ForwardedValues", "Cookies", "Forward"), ("forwarded_values", "cookies", "forward"), "none"),
    ("forward_query_string", ("ForwardedValues", "QueryString"), ("forwarded_values", "query_string"), False),
)
# CloudFront returns an error response's ResponseCode as a string: compared as one.
ERROR_RESPONSE = (
    ("response_code", ("ResponseCode",), ("response_code",), ""),
    ("response_page_path", ("ResponsePagePath",), ("response_page_path",), ""),
    ("error_caching_min_ttl", ("ErrorCachingMinTTL",), ("error_caching_min_ttl",), 300),
)
DISTRIBUTION = (
    ("aliases", ("Aliases",), ("aliases",), []),
    ("enabled", ("Enabled",), ("enabled",), True),
    ("comment", ("Comment",), ("comment",), ""),
    ("price_class", ("PriceClass",), ("price_class",), ""),
    ("default_root_object", ("DefaultRootObject",), ("default_root_object",), ""),
    ("ipv6_enabled", ("IsIPV6Enabled",), ("ipv6_enabled",), False),
    ("http_version", ("HttpVersion",), ("http_version",), ""),
    ("certificate_arn", ("ViewerCertificate", "ACMCertificateArn"), ("viewer_certificate", "acm_certificate_arn"), ""),
    ("ssl_support_method", ("ViewerCertificate", "SSLSupportMethod"), ("viewer_certificate", "ssl_support_method"), ""),
    (
        "minimum_protocol_version",
        ("ViewerCertificate", "MinimumProtocolVersion"),
        ("viewer_certificate", "minimum_protocol_version"),
        "",
    ),
)
# The lists of the distribution, each keyed by one field of its entries.
KEYED = (
    ("origins", ("Origins",), ("origins",), ("Id", "id"), ORIGIN),
    ("default_cache_behavior", ("DefaultCacheBehavior",), ("default_cache_behavior",), None, BEHAVIOR),
    ("cache_behaviors", ("CacheBehaviors",), ("cache_behaviors",), ("PathPattern", "path_pattern"), BEHAVIOR),
    (
        "custom_error_responses",
        ("CustomErrorResponses",),
        ("custom_error_responses",),
        ("ErrorCode", "error_code"),
        ERROR_RESPONSE,
    ),
)


def items(value):
    """A CloudFront list ({Quantity, Items}) or a module argument list, as a list."""
    if isinstance(value, dict):
        return list(value.get("Items", value.get("items")) or [])
    return list(value or [])


def pick(source, path, default):
    """The value at `path` in `source`, as the default's type compares it."""
    for key in path:
        source = source.get(key) if isinstance(source, dict) else None
    if source is None or default is None:
        return default if source is None else source
    if isinstance(default, list):
        return sorted(items(source))
    if isinstance(default, bool):
        return bool(source)
    return type(default)(source)


def shape(source, fields, side):
    return {field[0]: pick(source, field[1 + side], field[3]) for field in fields}


def shape_of(document, side):
    """The compared fields of a DistributionConfig (side CONFIG) or of the module's arguments (ARGUMENTS)."""
    result = shape(document, DISTRIBUTION, side)
    for name, config_path, arguments_path, key, fields in KEYED:
        value = pick(document, (config_path, arguments_path)[side], None)
        if key is None:
            result[name] = shape(value or {}, fields, side)
        else:
            entries = items(value)
            result[name] = {str(entry.get(key[side])): shape(entry, fields, side) for entry in entries}
    return result


def cloudfront_drift(config, wanted):
    if not isinstance(wanted, dict):
        raise AnsibleFilterError(
            f"cloudfront_drift: wanted must be the module's arguments (a dict), got {type(wanted).__name__}"
        )
    if config is not None and not isinstance(config, dict):
        raise AnsibleFilterError(
            f"cloudfront_drift: expected a DistributionConfig (a dict), got {type(config).__name__}"
        )
    after = shape_of(wanted, ARGUMENTS)
    if not config:
        return [{"field": field, "before": None, "after": value} for field, value in after.items()]
    before = shape_of(config, CONFIG)
    return [
        {"field": field, "before": before[field], "after": value}
        for field, value in after.items()
        if before[field] != value
    ]


class FilterModule:
    def filters(self):
        return {"cloudfront_drift": cloudfront_drift}
