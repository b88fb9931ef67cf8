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


def items(value):
    """A CloudFront list ({Quantity, Items}) or a module argument list, as a list."""
    if isinstance(value, dict):
        return list(value.get("Items", value.get("items")) or [])
    return list(value or [])


def origin_of_config(origin):
    custom = origin.get("CustomOriginConfig") or {}
    return {
        "domain_name": origin.get("DomainName", ""),
        "origin_path": origin.get("OriginPath", ""),
        "protocol_policy": custom.get("OriginProtocolPolicy", ""),
        "https_port": int(custom.get("HTTPSPort", 443)),
        "ssl_protocols": sorted(items(custom.get("OriginSslProtocols"))),
    }


def origin_of_arguments(origin):
    custom = origin.get("custom_origin_config") or {}
    return {
        "domain_name": origin.get("domain_name", ""),
        "origin_path": origin.get("origin_path", ""),
        "protocol_policy": custom.get("origin_protocol_policy", ""),
        "https_port": int(custom.get("https_port", 443)),
        "ssl_protocols": sorted(items(custom.get("origin_ssl_protocols"))),
    }


def behavior_of_config(behavior):
    return {
        "target_origin_id": behavior.get("TargetOriginId", ""),
        "viewer_protocol_policy": behavior.get("ViewerProtocolPolicy", ""),
        "allowed_methods": sorted(items(behavior.get("AllowedMethods"))),
        "default_ttl": int(behavior.get("DefaultTTL", 0)),
        "max_ttl": int(behavior.get("MaxTTL", 0)),
        "forward_cookies": ((behavior.get("ForwardedValues") or {}).get("Cookies") or {}).get("Forward", "none"),
        "forward_query_string": bool((behavior.get("ForwardedValues") or {}).get("QueryString", False)),
    }


def behavior_of_arguments(behavior):
    forwarded = behavior.get("forwarded_values") or {}
    return {
        "target_origin_id": behavior.get("target_origin_id", ""),
        "viewer_protocol_policy": behavior.get("viewer_protocol_policy", ""),
        "allowed_methods": sorted(items(behavior.get("allowed_methods"))),
        "default_ttl": int(behavior.get("default_ttl", 0)),
        "max_ttl": int(behavior.get("max_ttl", 0)),
        "forward_cookies": (forwarded.get("cookies") or {}).get("forward", "none"),
        "forward_query_string": bool(forwarded.get("query_string", False)),
    }


def shape_of_config(config):
    """The compared fields of a DistributionConfig."""
    certificate = config.get("ViewerCertificate") or {}
    return {
        "aliases": sorted(items(config.get("Aliases"))),
        "enabled": bool(config.get("Enabled")),
        "comment": config.get("Comment", ""),
        "price_class": config.get("PriceClass", ""),
        "default_root_object": config.get("DefaultRootObject", ""),
        "ipv6_enabled": bool(config.get("IsIPV6Enabled")),
        "http_version": config.get("HttpVersion", ""),
        "certificate_arn": certificate.get("ACMCertificateArn", ""),
        "ssl_support_method": certificate.get("SSLSupportMethod", ""),
        "minimum_protocol_version": certificate.get("MinimumProtocolVersion", ""),
        "origins": {origin.get("Id"): origin_of_config(origin) for origin in items(config.get("Origins"))},
        "default_cache_behavior": behavior_of_config(config.get("DefaultCacheBehavior") or {}),
        "cache_behaviors": {
            behavior.get("PathPattern"): behavior_of_config(behavior)
            for behavior in items(config.get("CacheBehaviors"))
        },
        "custom_error_responses": {
            int(response["ErrorCode"]): {
                # CloudFront returns ResponseCode as a string.
                "response_code": str(response.get("ResponseCode", "")),
                "response_page_path": response.get("ResponsePagePath", ""),
                "error_caching_min_ttl": int(response.get("ErrorCachingMinTTL", 300)),
            }
            for response in items(config.get("CustomErrorResponses"))
        },
    }


def shape_of_arguments(arguments):
    """The same fields, from community.aws.cloudfront_distribution's arguments."""
    certificate = arguments.get("viewer_certificate") or {}
    return {
        "aliases": sorted(arguments.get("aliases") or []),
        "enabled": bool(arguments.get("enabled", True)),
        "comment": arguments.get("comment", ""),
        "price_class": arguments.get("price_class", ""),
        "default_root_object": arguments.get("default_root_object", ""),
        "ipv6_enabled": bool(arguments.get("ipv6_enabled")),
        "http_version": arguments.get("http_version", ""),
        "certificate_arn": certificate.get("acm_certificate_arn", ""),
        "ssl_support_method": certificate.get("ssl_support_method", ""),
        "minimum_protocol_version": certificate.get("minimum_protocol_version", ""),
        "origins": {origin.get("id"): origin_of_arguments(origin) for origin in arguments.get("origins") or []},
        "default_cache_behavior": behavior_of_arguments(arguments.get("default_cache_behavior") or {}),
        "cache_behaviors": {
            behavior.get("path_pattern"): behavior_of_arguments(behavior)
            for behavior in arguments.get("cache_behaviors") or []
        },
        "custom_error_responses": {
            int(response["error_code"]): {
                "response_code": str(response.get("response_code", "")),
                "response_page_path": response.get("response_page_path", ""),
                "error_caching_min_ttl": int(response.get("error_caching_min_ttl", 300)),
            }
            for response in arguments.get("custom_error_responses") or []
        },
    }


def cloudfront_drift(config, wanted):
    if not isinstance(wanted, dict):
        raise AnsibleFilterError(
            f"cloudfront_drift: wanted must be the module's arguments (a dict), got {type(wanted).__name__}"
        )
    if config is not None and not isinstance(config, dict):
        raise AnsibleFilterError(
            f"cloudfront_drift: expected a DistributionConfig (a dict), got {type(config).__name__}"
        )
    after = shape_of_arguments(wanted)
    if not config:
        return [{"field": field, "before": None, "after": value} for field, value in after.items()]
    before = shape_of_config(config)
    return [
        {"field": field, "before": before[field], "after": value}
        for field, value in after.items()
        if before[field] != value
    ]


class FilterModule:
    def filters(self):
        return {"cloudfront_drift": cloudfront_drift}
