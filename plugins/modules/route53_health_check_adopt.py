#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: route53_health_check_adopt
short_description: Name the Route53 health check an interrupted create left without tags
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Route53's CreateHealthCheck takes no tags, so M(amazon.aws.route53_health_check) creates a check and then tags it
    with its C(Name). A run stopped between those two calls (Ctrl-C, a killed CI job) leaves a check without tags,
    which O(amazon.aws.route53_health_check#module:use_unique_names=true) cannot find by name, and the next run creates
    a second check.
  - Run this module just before M(amazon.aws.route53_health_check). When no health check carries the C(Name) tag
    O(name) and one check has no tags at all and exactly the configuration given here, it is tagged with that
    C(Name), so the task that follows updates it instead of creating another.
  - Nothing is changed when a check already carries the name, or when no untagged check matches. Further untagged
    matches are left alone and named in a warning.
  - Calls that are throttled or fail with a 5xx error are retried with jittered exponential backoff.
options:
  name:
    description:
      - The C(Name) tag the health check is found by (the
        O(amazon.aws.route53_health_check#module:health_check_name)).
    type: str
    required: true
  type:
    description: The check's protocol.
    type: str
    required: true
    choices: [HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH, TCP]
  fqdn:
    description: The domain name checked, as given to M(amazon.aws.route53_health_check).
    type: str
  ip_address:
    description: The IP address checked, as given to M(amazon.aws.route53_health_check).
    type: str
  port:
    description:
      - The port checked.
      - Route53 fills in a default when a create gives none, so give the one the create gives.
    type: int
    required: true
  resource_path:
    description: The path requested, for the HTTP types.
    type: str
  request_interval:
    description: Seconds between checks.
    type: int
    default: 30
    choices: [10, 30]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The checks and their tags are read; the check that would be named is returned.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The adopted check's tags, before and after.
notes:
  - A check is adopted only if it has no tags at all and its type, domain name, IP address, port, path and request
    interval equal the options (an option left out must be absent from the check too).
seealso:
  - module: amazon.aws.route53_health_check
"""

EXAMPLES = r"""
- name: Name the check a previous, interrupted run created but did not tag
  bespin.platform.route53_health_check_adopt:
    name: petclinic-primary
    type: HTTPS
    fqdn: petclinic.example.com
    port: 443
    resource_path: /actuator/health

- name: Then create or update the check by its name
  amazon.aws.route53_health_check:
    health_check_name: petclinic-primary
    use_unique_names: true
    type: HTTPS
    fqdn: petclinic.example.com
    port: 443
    resource_path: /actuator/health
"""

RETURN = r"""
health_check_id:
  description: The id of the check that carries the name (after adoption), or an empty string when none does.
  returned: always
  type: str
  sample: 0f6d4a2e-3c1b-4b8e-9a57-2d1c8e4f6a90
adopted:
  description: Whether a check was (or, in check mode, would be) given the name.
  returned: always
  type: bool
  sample: true
named:
  description: The ids of the checks that already carried the name.
  returned: always
  type: list
  elements: str
  sample: []
left:
  description: Untagged checks with the same configuration that were not adopted.
  returned: always
  type: list
  elements: str
  sample: []
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing SDK
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.bespin.platform.plugins.module_utils.aws_retry import CLIENT_CONFIG, jittered_retry
from ansible_collections.bespin.platform.plugins.module_utils.route53_orphans import plan_adoption, wanted_config

# Route53 answers a change it cannot take yet (another one under way) with PriorRequestNotComplete.
RETRY = jittered_retry(["PriorRequestNotComplete"])
TAGS_PER_CALL = 10  # ListTagsForResources takes at most 10 ids


def list_checks(client):
    return paginated_query_with_retries(client, "list_health_checks", retry_decorator=RETRY)["HealthChecks"]


def tags_of(client, ids):
    tags = {}
    for start in range(0, len(ids), TAGS_PER_CALL):
        batch = client.list_tags_for_resources(
            ResourceType="healthcheck", ResourceIds=ids[start : start + TAGS_PER_CALL], aws_retry=True
        )
        for entry in batch["ResourceTagSets"]:
            tags[entry["ResourceId"]] = boto3_tag_list_to_ansible_dict(entry.get("Tags", []))
    return tags


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            type=dict(type="str", required=True, choices=["HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"]),
            fqdn=dict(type="str"),
            ip_address=dict(type="str"),
            port=dict(type="int", required=True),
            resource_path=dict(type="str"),
            request_interval=dict(type="int", default=30, choices=[10, 30]),
        ),
        required_one_of=[["fqdn", "ip_address"]],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not name.strip():
        module.fail_json(msg="name: must not be empty")
    client = module.client("route53", retry_decorator=RETRY, config=CLIENT_CONFIG)
    try:
        checks = list_checks(client)
        tags = tags_of(client, [check["Id"] for check in checks])
        plan = plan_adoption(checks, tags, name, wanted_config(module.params))
        if plan.adopt and not module.check_mode:
            name_tag = [{"Key": "Name", "Value": name}]
            client.change_tags_for_resource(
                ResourceType="healthcheck", ResourceId=plan.adopt, AddTags=name_tag, aws_retry=True
            )
    except (ClientError, BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Route53 refused or failed a call while looking for health check {name!r}")
    if plan.left:
        module.warn(
            f"untagged health checks with the configuration of {name!r} were left alone: {', '.join(plan.left)}; "
            "delete them if an interrupted run made them"
        )
    result = dict(
        changed=bool(plan.adopt),
        health_check_id=plan.adopt or (plan.named[0] if plan.named else ""),
        adopted=bool(plan.adopt),
        named=plan.named,
        left=plan.left,
    )
    if plan.adopt and module._diff:
        result["diff"] = dict(before={"id": plan.adopt, "tags": {}}, after={"id": plan.adopt, "tags": {"Name": name}})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
