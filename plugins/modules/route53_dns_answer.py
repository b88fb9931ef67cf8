#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: route53_dns_answer
short_description: What Route53 answers for a name now, optionally waiting for an expected answer
version_added: 0.3.0
author: bespin.platform maintainers (@bespin)
description:
  - Asks Route53 what its name servers answer for a record name and type (TestDNSAnswer), as a client would get it,
    failover and health checks included; no amazon.aws module calls TestDNSAnswer.
  - With O(until_data) or O(until_not_data) it asks again every O(delay) seconds, up to O(timeout) seconds, until
    the answer is C(NOERROR) with that record data (or with any other), in one module process. It does not fail when
    the answer never comes; RV(matched) says whether it did, so that a task can fail with its own words.
  - Throttling and 5xx errors are retried with jittered exponential backoff.
options:
  hosted_zone_id:
    description: The hosted zone's ID (C(Z...), with or without C(/hostedzone/)).
    type: str
    required: true
  record_name:
    description: The record's name.
    type: str
    required: true
  record_type:
    description: The record's type.
    type: str
    required: true
    choices: [A, AAAA, CAA, CNAME, DS, MX, NAPTR, NS, PTR, SOA, SPF, SRV, TXT]
  until_data:
    description: Ask until Route53 answers C(NOERROR) with exactly this record data.
    type: list
    elements: str
  until_not_data:
    description: Ask until Route53 answers C(NOERROR) with record data other than this.
    type: list
    elements: str
  timeout:
    description: Seconds to keep asking for O(until_data) or O(until_not_data).
    type: int
    default: 300
  delay:
    description: Seconds between two questions.
    type: int
    default: 5
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: It only reads; it asks in check mode too.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: What clients get for the application's name
  bespin.platform.route53_dns_answer:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    record_name: app.example.com
    record_type: A
  register: answer

- name: Wait until Route53 sends clients to the standby
  bespin.platform.route53_dns_answer:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    record_name: app.example.com
    record_type: A
    until_data: [20.41.1.7]
    timeout: 180
  register: failed_over
  failed_when: not failed_over.matched
"""

RETURN = r"""
record_data:
  description: The record data Route53 answers (last answer, when waiting).
  returned: always
  type: list
  elements: str
  sample: [20.41.1.7]
response_code:
  description: The DNS response code, C(NOERROR) or C(NXDOMAIN) for example.
  returned: always
  type: str
  sample: NOERROR
nameserver:
  description: The Route53 name server that answered.
  returned: always
  type: str
  sample: ns-1.awsdns-01.org
record_name:
  description: The name asked about.
  returned: always
  type: str
  sample: app.example.com
record_type:
  description: The type asked about.
  returned: always
  type: str
  sample: A
matched:
  description: Whether the answer is the one waited for (always true without O(until_data) or O(until_not_data)).
  returned: always
  type: bool
asked:
  description: How many times Route53 was asked.
  returned: always
  type: int
  sample: 3
"""

import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing SDK
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.bespin.platform.plugins.module_utils.aws_retry import CLIENT_CONFIG, jittered_retry

RETRY = jittered_retry()


def answer_of(response, record_name, record_type):
    return {
        "nameserver": response.get("Nameserver", ""),
        "record_name": response.get("RecordName", record_name),
        "record_type": response.get("RecordType", record_type),
        "record_data": response.get("RecordData", []),
        "response_code": response.get("ResponseCode", ""),
    }


def is_awaited(answer, until_data, until_not_data):
    if until_data is None and until_not_data is None:
        return True
    if answer["response_code"] != "NOERROR":
        return False
    if until_data is not None:
        return answer["record_data"] == until_data
    return answer["record_data"] != until_not_data


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            hosted_zone_id=dict(type="str", required=True),
            record_name=dict(type="str", required=True),
            record_type=dict(
                type="str",
                required=True,
                choices=["A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT"],
            ),
            until_data=dict(type="list", elements="str"),
            until_not_data=dict(type="list", elements="str"),
            timeout=dict(type="int", default=300),
            delay=dict(type="int", default=5),
        ),
        mutually_exclusive=[("until_data", "until_not_data")],
        supports_check_mode=True,
    )
    params = module.params
    problems = [f"{field} must be at least {low}, got {params[field]}"
                for field, low in (("timeout", 0), ("delay", 1)) if params[field] < low]  # fmt: skip
    zone_id = params["hosted_zone_id"].rpartition("/")[2]
    if not zone_id.strip():
        problems.append("hosted_zone_id must not be empty")
    if problems:
        module.fail_json(msg="; ".join(problems))

    client = module.client("route53", retry_decorator=RETRY, config=CLIENT_CONFIG)
    deadline, asked = time.monotonic() + params["timeout"], 0
    while True:
        try:
            response = client.test_dns_answer(
                HostedZoneId=zone_id, RecordName=params["record_name"], RecordType=params["record_type"], aws_retry=True
            )
        except (ClientError, BotoCoreError) as exc:
            module.fail_json_aws(exc, msg=f"Route53 refused or failed TestDNSAnswer for {params['record_name']}")
        asked += 1
        answer = answer_of(response, params["record_name"], params["record_type"])
        matched = is_awaited(answer, params["until_data"], params["until_not_data"])
        if matched or time.monotonic() + params["delay"] > deadline:
            module.exit_json(changed=False, matched=matched, asked=asked, **answer)
        time.sleep(params["delay"])


if __name__ == "__main__":
    main()
