"""bespin.platform.redis_sentinel against the sandbox's three real Sentinels.

The tests monitor a master set of their own (TEST_SET, the sandbox's primary under
another name), so the sandbox's `mymaster` is never touched, and remove it at the end.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import redis_state
from ansible_run import run_module, run_module_many, run_module_verbose

pytestmark = pytest.mark.sandbox
MODULE = "bespin.platform.redis_sentinel"
TEST_SET = "bespin-test-set"


@pytest.fixture(scope="module")
def ports(sandbox):
    return list(sandbox.layout.redis_ports)


@pytest.fixture(scope="module")
def wanted(sandbox):
    args = {
        "sentinels": redis_state.sentinels(),
        "master_name": TEST_SET,
        "master_host": "127.0.0.1",
        "master_port": redis_state.master_port(),
        "quorum": 2,
        # Long enough that this set never fails over during the tests.
        "down_after_milliseconds": 60000,
        "failover_timeout": 180000,
        "parallel_syncs": 1,
        "auth_pass": redis_state.password(),
    }
    yield args
    for address in redis_state.sentinels():
        with contextlib.suppress(redis.ResponseError):
            redis_state.sentinel_client(address).execute_command("SENTINEL", "REMOVE", TEST_SET)


def sentinel_views() -> list[dict]:
    views = []
    for address in redis_state.sentinels():
        try:
            views.append(redis_state.sentinel_client(address).sentinel_master(TEST_SET))
        except redis.ResponseError:
            views.append({})
    return views


def test_every_sentinel_ends_up_monitoring_the_set_as_asked(wanted):
    result = run_module(MODULE, wanted)
    assert result["changed"], result
    assert result["master"] == f"127.0.0.1:{wanted['master_port']}"
    for view in sentinel_views():
        assert (view["ip"], view["port"], view["quorum"]) == ("127.0.0.1", wanted["master_port"], 2)
        assert (view["down-after-milliseconds"], view["failover-timeout"], view["parallel-syncs"]) == (60000, 180000, 1)
    assert all("MONITOR" in " ".join(s["commands"]) for s in result["sentinels"])


def test_a_second_run_changes_nothing_and_sends_nothing(wanted, ports):
    before = redis_state.write_calls(ports)
    result = run_module(MODULE, wanted)
    assert not result["changed"], result
    assert all(s["commands"] == [] for s in result["sentinels"])
    assert redis_state.write_calls(ports) == before


def test_check_mode_predicts_a_change_without_sending_it(wanted, ports):
    before = redis_state.write_calls(ports)
    result = run_module(MODULE, dict(wanted, parallel_syncs=2), check=True, diff=True)
    assert result["changed"]
    first = wanted["sentinels"][0]
    assert result["diff"]["before"][first]["parallel_syncs"] == 1
    assert result["diff"]["after"][first]["parallel_syncs"] == 2
    assert result["sentinels"][0]["commands"] == [f"SENTINEL SET {TEST_SET} parallel-syncs 2"]
    assert redis_state.write_calls(ports) == before
    assert all(view["parallel-syncs"] == 1 for view in sentinel_views())


def test_a_changed_setting_is_set_where_it_differs(wanted):
    result = run_module(MODULE, dict(wanted, parallel_syncs=2), diff=True)
    assert result["changed"]
    assert all(view["parallel-syncs"] == 2 for view in sentinel_views())
    assert not run_module(MODULE, dict(wanted, parallel_syncs=2))["changed"]
    run_module(MODULE, wanted)


def test_a_sentinel_that_lost_the_set_gets_it_back_from_the_others(wanted):
    redis_state.sentinel_client(wanted["sentinels"][2]).execute_command("SENTINEL", "REMOVE", TEST_SET)
    args = {k: v for k, v in wanted.items() if k not in ("master_host", "master_port")}
    result = run_module(MODULE, args)
    assert result["changed"]
    assert [bool(s["commands"]) for s in result["sentinels"]] == [False, False, True]
    assert sentinel_views()[2]["port"] == wanted["master_port"]


def test_bad_inputs_fail_before_any_write_naming_the_field(wanted, ports):
    cases = [
        (dict(wanted, quorum=0), "quorum: must be at least 1"),
        (dict(wanted, quorum=4), "quorum: 4 is larger than the number of sentinels (3)"),
        (dict(wanted, sentinels=["127.0.0.1"]), "sentinels[0]"),
        (
            dict(wanted, sentinels=[*wanted["sentinels"][:2], "127.0.0.1:1"]),
            "sentinels[2]: sentinel 127.0.0.1:1 is unreachable",
        ),
        (dict(wanted, master_name="not a name"), "master_name"),
        (
            {k: v for k, v in wanted.items() if k not in ("master_host", "master_port")}
            | {"master_name": "nobody-knows"},
            "master_host: the master address is unknown",
        ),
        (
            dict(wanted, master_name="nobody-knows", master_port=1),
            "master_host: the master address 127.0.0.1:1 is unknown",
        ),
        (dict(wanted, down_after_milliseconds=0), "down_after_milliseconds"),
        (dict(wanted, auth_pass=None, auth_pass_update="always"), "auth_pass: required"),  # noqa: S106
        ({k: v for k, v in wanted.items() if k != "quorum"}, "quorum: required"),
    ]
    before = redis_state.write_calls(ports)
    results = run_module_many(MODULE, [case[0] for case in cases])
    for (args, expected), result in zip(cases, results, strict=True):
        assert result.get("failed"), (args, result)
        assert expected in result["msg"], (expected, result["msg"])
    assert redis_state.write_calls(ports) == before
    assert all(view.get("name") == TEST_SET for view in sentinel_views())


def test_the_auth_pass_never_appears_in_verbose_output(wanted):
    output = run_module_verbose(MODULE, dict(wanted, auth_pass_update="always"), "--diff")  # noqa: S106
    assert "SENTINEL SET" in output or "changed" in output
    assert wanted["auth_pass"] not in output


def test_state_absent_removes_the_set_once(wanted):
    args = {"sentinels": wanted["sentinels"], "master_name": TEST_SET, "state": "absent"}
    assert run_module(MODULE, args)["changed"]
    assert sentinel_views() == [{}, {}, {}]
    assert not run_module(MODULE, args)["changed"]
