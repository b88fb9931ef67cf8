"""bespin.platform.redis_session_check against the sandbox's real Redis and Sentinels."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import redis_state
from ansible_run import run_module, run_module_many, run_module_verbose

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.redis_session_check"


@pytest.fixture(scope="module")
def ports(sandbox):
    return list(sandbox.layout.redis_ports)


@pytest.fixture(scope="module")
def through_sentinel(sandbox):
    return {"sentinels": redis_state.sentinels(), "master_name": "mymaster", "password": redis_state.password()}


def leftover_keys(port: int) -> list[str]:
    return list(redis_state.node(port).scan_iter("spring:session:sessions:bespin-check-*"))


def test_the_store_is_usable_through_sentinel_and_reports_its_topology(through_sentinel, ports):
    result = run_module(MODULE, through_sentinel)
    assert result["usable"], result
    assert {name for name, check in result["checks"].items() if check["ok"]} == {
        "quorum", "master", "eviction_policy", "write", "read_back", "ttl", "replicated",
    }  # fmt: skip
    topology = result["topology"]
    assert topology["mode"] == "sentinel"
    assert topology["master"] == f"127.0.0.1:{ports[0]}"
    assert topology["quorum"] == 2 and topology["sentinels_agree"]
    assert [r["address"] for r in topology["replicas"]] == [f"127.0.0.1:{ports[1]}"]
    assert len(topology["sentinels"]) == 3 and all(s["reachable"] for s in topology["sentinels"])
    assert "1 replica(s) acknowledged" in result["checks"]["replicated"]["detail"]
    assert not result["changed"]
    assert leftover_keys(ports[0]) == []


def test_a_direct_connection_works_too(through_sentinel, ports):
    result = run_module(MODULE, {"host": "127.0.0.1", "port": ports[0], "password": through_sentinel["password"]})
    assert result["usable"], result
    assert result["topology"]["mode"] == "direct"


def test_check_mode_only_reads(through_sentinel, ports):
    before = redis_state.write_calls(ports)
    result = run_module(MODULE, through_sentinel, check=True)
    assert result["usable"]
    assert result["checks"]["write"]["skipped"]
    assert redis_state.write_calls(ports) == before


def test_an_allkeys_policy_fails_the_check(through_sentinel, ports):
    master = redis_state.node(ports[0])
    previous = master.config_get("maxmemory-policy")["maxmemory-policy"]
    master.config_set("maxmemory-policy", "allkeys-lru")
    try:
        result = run_module(MODULE, through_sentinel)
    finally:
        master.config_set("maxmemory-policy", previous)
    assert result["failed"] and not result["usable"]
    assert "eviction_policy: maxmemory-policy allkeys-lru may evict live sessions" in result["msg"]


def test_failures_name_what_is_wrong(through_sentinel):
    cases = [
        (dict(through_sentinel, password="wrong-password-123456"), "master: 127.0.0.1:"),  # noqa: S106
        (dict(through_sentinel, master_name="unknown-set"), "no sentinel knows the master set 'unknown-set'"),
        (dict(through_sentinel, sentinels=["127.0.0.1:1"]), "no sentinel knows the master set"),
        (dict(through_sentinel, master_name=None), "master_name: required with sentinels"),
        (dict(through_sentinel, ttl=0), "ttl: must be at least 1"),
        (dict(through_sentinel, session_namespace="no spaces"), "session_namespace"),
        (dict(through_sentinel, sentinels=["nohost"]), "sentinels[0]"),
    ]
    results = run_module_many(MODULE, [case[0] for case in cases])
    for (args, expected), result in zip(cases, results, strict=True):
        assert result.get("failed"), (args, result)
        assert expected in result["msg"], (expected, result["msg"])
    assert "authentication failed" in results[0]["msg"]


def test_the_password_never_appears_in_verbose_output(through_sentinel):
    output = run_module_verbose(MODULE, through_sentinel)
    assert "usable: true" in output
    assert through_sentinel["password"] not in output
