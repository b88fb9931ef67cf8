"""The poller the waiting modules share: every item waited for at once, a deadline that names the rest."""

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.waiting import Poller, WaitTimeout, has_condition


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_items_ready_at_different_times_are_each_checked_until_ready():
    clock = FakeClock()
    ready_at = {"a": 0.0, "b": 3.0}
    checks = []

    def check(item):
        checks.append(item)
        return clock.now >= ready_at[item]

    Poller(30, clock=clock.clock, sleep=clock.sleep).until_ready(["a", "b"], check)
    assert checks.count("a") == 1, "a ready item is not read again"
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_the_deadline_names_what_is_not_ready():
    clock = FakeClock()
    poller = Poller(10, clock=clock.clock, sleep=clock.sleep)
    with pytest.raises(WaitTimeout, match=r"not ready after 10 s: b$"):
        poller.until_ready(["a", "b"], lambda item: item == "a")
    assert clock.now == 10, "the last sleep is cut to the deadline"
    assert max(clock.sleeps) <= 5.0


def test_nothing_to_wait_for_returns_at_once():
    clock = FakeClock()
    Poller(10, clock=clock.clock, sleep=clock.sleep).until_ready([], lambda item: False)
    assert clock.sleeps == []


def test_conditions():
    crd = {"status": {"conditions": [{"type": "NamesAccepted", "status": "True"},
                                     {"type": "Established", "status": "False"}]}}  # fmt: skip
    assert has_condition(crd, "NamesAccepted")
    assert not has_condition(crd, "Established")
    assert not has_condition({}, "Available")
    assert not has_condition(None, "Available")
