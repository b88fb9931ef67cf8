"""Which AWS requests the sandbox's write accounting counts as reads."""

from __future__ import annotations

import pytest

from bespin_sandbox.aws.protocol import AwsRequest


@pytest.mark.parametrize(
    ("protocol", "operation", "method", "read"),
    [
        ("rest-xml", "ListHealthChecks", "GET", True),
        ("rest-xml", "ListTagsForResources", "POST", True),  # a read that takes a body
        ("rest-xml", "ChangeTagsForResource", "POST", False),
        ("rest-json", "DeleteAddon", "DELETE", False),
        ("query", "DescribeReplicationGroups", "POST", True),
        ("query", "CreateReplicationGroup", "POST", False),
    ],
)
def test_a_read_is_a_get_or_an_operation_named_as_one(protocol, operation, method, read):
    request = AwsRequest("svc", "us-east-1", None, protocol, operation, method)
    assert request.is_read is read
