# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dr_predicted_rto filter: how long clients keep reaching a failed primary, from Route53's settings.

Route53 calls an endpoint unhealthy after `failure_threshold` failed probes,
`request_interval` seconds apart, and then answers the SECONDARY; a client that
asked just before keeps the PRIMARY's answer for the record's TTL. Alias records
have no TTL of their own: Route53 gives an alias to an ELB or a CloudFront
distribution a TTL of 60 s. The drill prints this beside what it measured and the
target, and refuses a target the settings cannot meet before it changes anything.
"""

DOCUMENTATION = r"""
name: dr_predicted_rto
author: bespin.platform maintainers (@bespin)
version_added: 0.3.0
short_description: The RTO a Route53 failover pair predicts, from its health check and TTL settings
description:
  - Takes the health check's request interval and failure threshold and the PRIMARY record's TTL (or V(alias) for an
    alias record, which Route53 answers with a 60 s TTL) and returns the seconds until Route53 answers the SECONDARY
    (C(detection)), the seconds a client may keep the old answer (C(ttl)) and their sum (C(total)).
options:
  _input:
    description: The settings, with C(request_interval) (10 or 30), C(failure_threshold) (1-10) and C(ttl).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The drill's prediction
  ansible.builtin.set_fact:
    rto: "{{ {'request_interval': 30, 'failure_threshold': 3, 'ttl': 'alias'} | bespin.platform.dr_predicted_rto }}"
  # {'detection': 90, 'ttl': 60, 'total': 150}
"""

RETURN = r"""
_value:
  description: C(detection), C(ttl) and C(total), in seconds.
  type: dict
"""

from ansible.errors import AnsibleFilterError

# Route53's TTL for an alias to an ELB load balancer or a CloudFront distribution.
ALIAS_TTL = 60
INTERVALS = (10, 30)


def whole(settings, field, low, high):
    value = settings.get(field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or str(value).strip() != str(number) or not low <= number <= high:
        raise AnsibleFilterError(f"dr_predicted_rto: {field} must be a whole number {low}-{high}, got {value!r}")
    return number


def dr_predicted_rto(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"dr_predicted_rto: expected a dict of settings, got {type(settings).__name__}")
    interval = whole(settings, "request_interval", min(INTERVALS), max(INTERVALS))
    if interval not in INTERVALS:
        raise AnsibleFilterError(f"dr_predicted_rto: request_interval must be 10 or 30, got {interval}")
    threshold = whole(settings, "failure_threshold", 1, 10)
    ttl = ALIAS_TTL if settings.get("ttl") == "alias" else whole(settings, "ttl", 0, 2147483647)
    detection = interval * threshold
    return {"detection": detection, "ttl": ttl, "total": detection + ttl}


class FilterModule:
    def filters(self):
        return {"dr_predicted_rto": dr_predicted_rto}
