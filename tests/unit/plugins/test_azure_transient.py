"""azure_transient: which Azure failures are worth another try (throttling, 5xx, resets) and which are not."""

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.test.azure_transient import azure_transient

RAW_THROTTLED = (
    'Task failed: Module failed: (\'{"error": {"code": "SubscriptionRequestsThrottled", "message": '
    '"Number of read requests for subscription exceeded the limit."}}\', 429)'
)


def failed(msg: str) -> dict:
    return {"failed": True, "changed": False, "msg": msg}


@pytest.mark.parametrize(
    "message",
    [
        RAW_THROTTLED,
        'Module failed: (\'{"error": {"code": "Oops"}}\', 503)',
        "Error getting server - (InternalServerError) The server had an error.\nCode: InternalServerError",
        "Operation returned an invalid status 'Too Many Requests'",
        "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
    ],
)
def test_throttling_server_errors_and_resets_are_transient(message):
    assert azure_transient(failed(message))


@pytest.mark.parametrize(
    "message",
    [
        'Module failed: (\'{"error": {"code": "ResourceNotFound"}}\', 404)',
        "(InvalidParameter) The value of parameter vmSize is invalid.\nCode: InvalidParameter",
        "Error retrieving resource group x - (ResourceGroupNotFound) Resource group 'x' could not be found.",
        "(AuthorizationFailed) The client does not have authorization; 500 VMs is the quota",
    ],
)
def test_refusals_are_not(message):
    assert not azure_transient(failed(message))


def test_a_result_that_did_not_fail_is_not():
    assert not azure_transient({"changed": False, "msg": RAW_THROTTLED})
    assert not azure_transient("429")
