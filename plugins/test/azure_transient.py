# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The azure_transient test: did an Azure task fail only for a moment (throttled, a 5xx)?

The Azure SDK clients of most azure.azcollection modules retry 429 and 5xx answers
themselves; azure_rm_resource and azure_rm_resource_info build their pipeline with
no retry policy, and a few modules read once outside it. Roles repeat those tasks
with ``until: result is not bespin.platform.azure_transient``: a transient failure
is tried again, a permanent one (a bad request, a missing resource, a refused
credential) fails at once.
"""

import re

DOCUMENTATION = r"""
name: azure_transient
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: Whether an Azure task failed only because Azure was throttling or briefly failing
description:
  - True when a registered task result failed and its message says Azure Resource Manager throttled the request
    (HTTP 429, C(SubscriptionRequestsThrottled), C(ResourceRequestsThrottled), C(TooManyRequests)) or failed on its
    side (HTTP 500, 502, 503 or 504, C(InternalServerError), C(ServiceUnavailable), C(ServerTimeout)), or that the
    connection was reset.
  - Any other failure, and any result that did not fail, is not transient.
options:
  _input:
    description: A registered task result.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read a resource through raw ARM (whose client does not retry)
  azure.azcollection.azure_rm_resource_info:
    resource_group: petclinic-standby
    provider: Storage
    resource_type: storageAccounts
    resource_name: petclinicsite
    api_version: "2023-05-01"
  register: account
  retries: 5
  delay: 2
  until: account is not bespin.platform.azure_transient
"""

RETURN = r"""
_value:
  description: True when the result failed for a reason that a later try may not meet.
  type: bool
"""

TRANSIENT_CODES = re.compile(
    r"\b(SubscriptionRequestsThrottled|ResourceRequestsThrottled|TooManyRequests|InternalServerError"
    r"|ServiceUnavailable|ServerTimeout|GatewayTimeout)\b"
)
# azure_rm_resource(_info) fail with "('<body>', <status>)"; the SDK's errors name the status in words.
TRANSIENT_STATUS = re.compile(
    r",\s*(429|500|502|503|504)\)\s*$|'(Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable"
    r"|Gateway Timeout)'"
)
RESET = re.compile(r"Connection (reset|aborted)|RemoteDisconnected", re.IGNORECASE)


def azure_transient(result):
    if not isinstance(result, dict) or not result.get("failed"):
        return False
    message = str(result.get("msg", "")).strip()
    return bool(TRANSIENT_CODES.search(message) or TRANSIENT_STATUS.search(message) or RESET.search(message))


class TestModule:
    def tests(self):
        return {"azure_transient": azure_transient}
