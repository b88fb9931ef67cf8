# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Route53 health check an interrupted create left unnamed, and whether to adopt it.

Route53's CreateHealthCheck takes no tags, so amazon.aws.route53_health_check
creates the check, then tags it with its Name: a run stopped between the two
calls leaves a check nothing finds by name, and the next run (use_unique_names)
creates a second one. Such an orphan has no tags at all and exactly the
configuration the role asks for; that pair of facts is what is matched here.
"""

from collections import namedtuple

# The configuration a create sent, as HealthCheckConfig spells it, and the option it comes from.
CONFIG_KEYS = (
    ("Type", "type"),
    ("FullyQualifiedDomainName", "fqdn"),
    ("IPAddress", "ip_address"),
    ("Port", "port"),
    ("ResourcePath", "resource_path"),
    ("RequestInterval", "request_interval"),
)

Adoption = namedtuple("Adoption", ["named", "adopt", "left"])


def wanted_config(params):
    """The HealthCheckConfig fields a create with these options sends (unset options are absent)."""
    return {key: params[option] for key, option in CONFIG_KEYS if params.get(option) is not None}


def same_config(config, wanted):
    """Whether a check's HealthCheckConfig has exactly the wanted values for every field matched on."""
    return all(config.get(key) == wanted.get(key) for key, _option in CONFIG_KEYS)


def plan_adoption(checks, tags_by_id, name, wanted):
    """Adoption(named ids, the id to give the Name tag or None, other orphans' ids left alone).

    `checks` are ListHealthChecks entries in the order Route53 lists them; `tags_by_id` maps
    each id to its tags as a dict. Nothing is adopted while a check already carries the Name.
    """
    named = [check["Id"] for check in checks if tags_by_id.get(check["Id"], {}).get("Name") == name]
    orphans = [
        check["Id"]
        for check in checks
        if not tags_by_id.get(check["Id"]) and same_config(check.get("HealthCheckConfig", {}), wanted)
    ]
    if named:
        return Adoption(named, None, orphans)
    return Adoption(named, orphans[0] if orphans else None, orphans[1:])
