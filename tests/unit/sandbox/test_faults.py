"""Fault plans: validation names the bad field; decisions are seeded and respect the rates."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bespin_sandbox.faults import FaultError, FaultPlan, clear_faults, injected, set_faults

DRAWS = 10_000
# Binomial standard deviation at p=0.5 over 10,000 draws is 0.005: 0.02 is four of them.
TOLERANCE = 0.02


def draws(path, service: str, count: int) -> list[str | None]:
    plan = FaultPlan(path, service)
    return [plan.decide() for _draw in range(count)]


@pytest.mark.parametrize(
    ("service", "rates", "named"),
    [
        ("gcp", {"throttling": 0.1}, "'gcp'"),
        ("azure", {"error503": 0.1}, "'error503'"),
        ("aws", {"reset": 0.1}, "'reset'"),
        ("kubernetes", {"throttling": 1.5}, "throttling"),
        ("kubernetes", {"error500": -0.1}, "error500"),
        ("kubernetes", {"throttling": 0.6, "error503": 0.6}, "kubernetes"),
    ],
)
def test_an_invalid_plan_is_refused_naming_what_is_wrong(tmp_path, service, rates, named):
    path = tmp_path / "faults.json"
    with pytest.raises(FaultError, match=named):
        set_faults(path, service, rates)
    assert not path.exists()


def test_no_plan_means_no_faults(tmp_path):
    assert set(draws(tmp_path / "faults.json", "kubernetes", 100)) == {None}


def test_a_plan_for_one_service_leaves_the_others_alone(tmp_path):
    path = tmp_path / "faults.json"
    set_faults(path, "aws", {"throttling": 1.0})
    assert set(draws(path, "aws", 10)) == {"throttling"}
    assert set(draws(path, "kubernetes", 10)) == {None}


def test_decisions_are_the_same_for_the_same_seed(tmp_path):
    path = tmp_path / "faults.json"
    set_faults(path, "kubernetes", {"throttling": 0.3, "reset": 0.1}, seed=42)
    first = draws(path, "kubernetes", 200)
    assert draws(path, "kubernetes", 200) == first

    set_faults(path, "kubernetes", {"throttling": 0.3, "reset": 0.1}, seed=43)
    assert draws(path, "kubernetes", 200) != first


def test_a_changed_plan_is_read_again_and_starts_its_sequence_afresh(tmp_path):
    path = tmp_path / "faults.json"
    set_faults(path, "azure", {"error500": 0.5}, seed=1)
    plan = FaultPlan(path, "azure")
    first = [plan.decide() for _draw in range(50)]

    clear_faults(path)
    assert plan.decide() is None
    set_faults(path, "azure", {"error500": 0.5}, seed=1)
    assert [plan.decide() for _draw in range(50)] == first


def test_the_rates_are_respected_over_many_draws(tmp_path):
    path = tmp_path / "faults.json"
    rates = {"throttling": 0.1, "error503": 0.05, "reset": 0.05, "latency": 0.3}
    set_faults(path, "kubernetes", rates, seed=7)
    counts = Counter(draws(path, "kubernetes", DRAWS))
    for fault, rate in rates.items():
        assert counts[fault] / DRAWS == pytest.approx(rate, abs=TOLERANCE), fault
    assert counts[None] / DRAWS == pytest.approx(0.5, abs=TOLERANCE)


def test_the_plan_file_keeps_every_service_and_the_seed(tmp_path):
    path = tmp_path / "faults.json"
    set_faults(path, "aws", {"throttling": 0.2})
    set_faults(path, "kubernetes", {"reset": 0.1}, seed=5)
    assert json.loads(path.read_text()) == {
        "seed": 5,
        "services": {"aws": {"throttling": 0.2}, "kubernetes": {"reset": 0.1}},
    }


def test_every_injected_fault_is_journaled_and_counted(tmp_path):
    path = tmp_path / "faults.json"
    assert injected(path) == Counter()
    set_faults(path, "aws", {"throttling": 0.3, "error500": 0.1}, seed=3)
    decided = Counter(fault for fault in draws(path, "aws", 500) if fault)
    assert injected(path) == Counter({f"aws {fault}": n for fault, n in decided.items()})
    clear_faults(path)
    draws(path, "aws", 100)
    assert injected(path) == Counter({f"aws {fault}": n for fault, n in decided.items()}), "no plan, no new entries"


def test_only_narrows_the_faults_to_the_requests_it_matches(tmp_path):
    path = tmp_path / "faults.json"
    set_faults(path, "kubernetes", {"error500": 1.0}, only=r"^PUT /api/v1/namespaces/[^/]+/secrets/sh[.]helm")
    plan = FaultPlan(path, "kubernetes")
    assert plan.decide("PUT /api/v1/namespaces/argocd/secrets/sh.helm.release.v1.argo-cd.v1") == "error500"
    assert plan.decide("POST /api/v1/namespaces/argocd/secrets") is None
    assert plan.decide("PUT /api/v1/namespaces/argocd/configmaps/argocd-cm") is None
    # Set again without it, the service's faults apply to every request.
    set_faults(path, "kubernetes", {"error500": 1.0})
    assert json.loads(path.read_text()).get("only", {}) == {}
    assert FaultPlan(path, "kubernetes").decide("POST /api/v1/namespaces/argocd/secrets") == "error500"


def test_times_stops_the_faults_after_that_many(tmp_path):
    path = tmp_path / "faults.json"
    set_faults(path, "kubernetes", {"error500": 1.0}, only="^PUT ", times=2)
    plan = FaultPlan(path, "kubernetes")
    decided = [plan.decide(request) for request in ("GET /a", "PUT /a", "GET /b", "PUT /b", "PUT /c", "PUT /d")]
    assert decided == [None, "error500", None, "error500", None, None]
    assert injected(path) == Counter({"kubernetes error500": 2})


@pytest.mark.parametrize(("options", "named"), [({"only": "(unclosed"}, "--only"), ({"times": 0}, "--times")])
def test_an_invalid_only_or_times_is_refused_naming_it(tmp_path, options, named):
    with pytest.raises(FaultError, match=named):
        set_faults(tmp_path / "faults.json", "kubernetes", {"error500": 1.0}, **options)
