"""What redis_sentinel tells one Sentinel, from its SENTINEL MASTER / REPLICAS replies."""

from __future__ import annotations

from ansible_collections.bespin.platform.plugins.module_utils.redis_sentinel_plan import (
    STALE_INFO_MS,
    describe,
    plan,
    same_replication_group,
    sees_master_healthy,
)

WANTED = {
    "master_name": "sessions",
    "quorum": 2,
    "down_after_milliseconds": 5000,
    "failover_timeout": 60000,
    "parallel_syncs": 1,
}
PRIMARY = ("10.0.1.10", 6379)


def master(ip="10.0.1.10", port="6379", **overrides):
    reply = {
        "name": "sessions",
        "ip": ip,
        "port": port,
        "flags": "master",
        "quorum": "2",
        "down-after-milliseconds": "5000",
        "failover-timeout": "60000",
        "parallel-syncs": "1",
        "info-refresh": "1200",
    }
    reply.update(overrides)
    return reply


def replica(ip, port):
    return {"ip": ip, "port": str(port), "flags": "slave"}


def test_a_missing_set_is_monitored_then_tuned_and_given_the_auth_pass():
    commands = plan(None, [], WANTED, PRIMARY, True, "auto")
    assert commands[0] == ("MONITOR", "sessions", "10.0.1.10", "6379", "2")
    assert commands[1][:2] == ("SET", "sessions")
    assert "down-after-milliseconds" in commands[1] and "auth-pass" in commands[1]


def test_a_set_as_wanted_and_healthy_needs_nothing():
    assert plan(master(), [replica("10.0.2.10", 6379)], WANTED, PRIMARY, True, "auto") == []


def test_only_the_settings_that_differ_are_set():
    commands = plan(master(quorum="3", **{"parallel-syncs": "2"}), [], WANTED, PRIMARY, False, "auto")
    assert commands == [("SET", "sessions", "quorum", "2", "parallel-syncs", "1")]


def test_settings_left_unset_are_left_alone():
    wanted = dict(WANTED, failover_timeout=None)
    assert plan(master(**{"failover-timeout": "180000"}), [], wanted, PRIMARY, False, "auto") == []


def test_after_a_failover_the_promoted_replica_is_not_a_reason_to_recreate():
    promoted = master(ip="10.0.2.10")
    replicas = [replica("10.0.1.10", 6379)]
    assert same_replication_group(promoted, replicas, PRIMARY)
    assert plan(promoted, replicas, WANTED, PRIMARY, False, "auto") == []


def test_a_set_pointing_at_another_group_is_removed_and_monitored_again():
    elsewhere = master(ip="10.9.9.9")
    commands = plan(elsewhere, [replica("10.9.9.8", 6379)], WANTED, PRIMARY, False, "auto")
    assert commands[0] == ("REMOVE", "sessions")
    assert commands[1][0] == "MONITOR"


def test_the_auth_pass_is_sent_when_the_sentinel_cannot_talk_to_its_master():
    for broken in (
        master(flags="master,s_down"),
        master(flags="master,disconnected"),
        master(**{"info-refresh": str(STALE_INFO_MS + 1)}),
    ):
        assert not sees_master_healthy(broken)
        assert plan(broken, [], WANTED, PRIMARY, True, "auto") == [("SET", "sessions", "auth-pass", None)]


def test_always_sends_the_auth_pass_and_describe_masks_it():
    commands = plan(master(), [], WANTED, PRIMARY, True, "always")
    assert commands == [("SET", "sessions", "auth-pass", None)]
    assert describe(commands) == ["SENTINEL SET sessions auth-pass ********"]
