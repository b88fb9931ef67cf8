"""helm_record_lost: which kubernetes.core.helm results mean "applied, but Helm lost its record"."""

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.test.helm_record_lost import helm_record_lost


def installed(status: str, **extra) -> dict:
    return {"changed": True, "status": {"name": "karpenter", "status": status, "revision": "1"}, **extra}


@pytest.mark.parametrize("status", ["pending-install", "pending-upgrade", "pending-rollback"])
def test_a_change_that_left_the_release_pending(status):
    assert helm_record_lost(installed(status))


@pytest.mark.parametrize(
    "result",
    [
        installed("deployed"),
        installed("failed"),
        installed("pending-install", changed=False),
        installed("pending-install", failed=True),
        # Check mode: the compared values, no release status.
        {"changed": True, "status": {"values": {"current": {}, "declared": {}}}},
        {"changed": True, "status": None},
        {"changed": True},
        "not a result",
    ],
)
def test_anything_else_is_not_a_lost_record(result):
    assert not helm_record_lost(result)
