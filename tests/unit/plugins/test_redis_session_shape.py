"""Spring Session's key shape and the eviction policies that keep sessions."""

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.redis_session_shape import (
    policy_keeps_sessions,
    session_fields,
    session_key,
)


def test_sessions_live_where_spring_session_keeps_them():
    assert session_key("spring:session", "abc") == "spring:session:sessions:abc"
    fields = session_fields(1700000000000, 1800, "x")
    assert fields["maxInactiveInterval"] == "1800"
    assert fields["creationTime"] == fields["lastAccessedTime"] == "1700000000000"


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random"])
def test_policies_that_keep_sessions(policy):
    assert policy_keeps_sessions(policy)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_are_refused(policy):
    assert not policy_keeps_sessions(policy)
