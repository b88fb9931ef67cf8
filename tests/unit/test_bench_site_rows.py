"""The bench's site.yml rows: module invocations counted from the JSON report, figures beside the baseline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bespin_bench.report import _site_rows
from bespin_bench.scenarios import module_calls


def test_module_calls_count_each_host_and_loop_item_that_ran_a_module():
    report = {"plays": [{"tasks": [
        {"hosts": {"localhost": {"action": "ansible.builtin.set_fact"}}},
        {"hosts": {"localhost": {"action": "bespin.platform.helm_release"}}},
        {"hosts": {"localhost": {"action": "kubernetes.core.k8s", "skipped": True}}},
        {"hosts": {"localhost": {"action": "bespin.platform.eks_addon",
                                 "results": [{"changed": False}, {"skipped": True}, {"changed": True}]}}},
        {"hosts": {"a": {"action": "ansible.legacy.command"}, "b": {"action": "assert"}}},
    ]}]}  # fmt: skip
    assert module_calls(json.dumps(report)) == 4


def test_site_rows_put_each_run_beside_its_baseline_and_goal():
    def run(wall_s, writes=0, changed=0, calls=10):
        return {"wall_s": wall_s, "writes": writes, "changed": changed, "failed": 0, "module_calls": calls}

    figures = {"nodes": 6, "converge": run(110.0, 300, 39), "noop": run(61.0), "check": run(50.0, writes=1)}
    before = {"site": {key: {"wall_s": 200.0, "module_calls": 120} for key in ("converge", "noop", "check")}}
    converge, noop, check = _site_rows(figures, before)
    assert "before 200.0 s, 120 modules" in converge and converge.endswith("goal <= 120 s: met")
    assert noop.endswith("goal <= 60 s, 0 writes, changed=0: MISSED"), "61 s misses the 60 s goal"
    assert check.endswith("goal <= 60 s, 0 writes: MISSED"), "a write misses the goal"
