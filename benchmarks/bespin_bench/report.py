"""The one table `make bench` prints, rendered from the results (benchmarks/results/latest.json)."""

from __future__ import annotations

import json
from pathlib import Path

# Goals from the issues that asked for these benchmarks.
GOAL_SPEEDUP = 50.0
GOAL_CONVERGE_NODES = 1000
GOAL_CONVERGE_S = 10.0
GOAL_ADDON_RATIO = 1.1
# site.yml on the default estate: seconds at most, per run.
GOAL_SITE_S = {"converge": 120.0, "noop": 60.0, "check": 60.0}
# What the goals are compared with: the figures before the change that set them (benchmarks/README.md).
BASELINE_FILE = Path(__file__).resolve().parents[1] / "baseline.json"
# Short names for the tasks of role.yml and naive_loop.yml, to say where a playbook's time goes.
TASK_NAMES = {
    "Validating arguments against arg spec": "argument_specs check",
    "Apply the declared labels and taints": "include apply.yml (once)",
    "Collect each host's node_labels and node_taints": "set_fact over hostvars",
    "Label and taint the nodes": "node_topology module",
    "Verify that the scheduler honours the taints": "include verify (skipped; and the play's end)",
    "Set each node's labels": "k8s loop",
    "Set each node's taints": "k8s_taint loop",
}

COLUMNS = (("benchmark", "<", 44), ("nodes", ">", 6), ("measured", ">", 10), ("writes", ">", 6))
BASELINE_WIDTH = 30


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _count(value: int | str | None) -> str:
    return f"{value:,}" if isinstance(value, int) else (value or "")


def _row(name: str, nodes: int | str | None, measured: str, writes: int | str | None, baseline: str, ratio: str) -> str:
    cells = (name, _count(nodes), measured, _count(writes))
    text = "  ".join(f"{cell:{align}{width}}" for cell, (_title, align, width) in zip(cells, COLUMNS, strict=True))
    return f"{text}  {baseline:<{BASELINE_WIDTH}}  {ratio}"


def render(results: dict) -> str:
    lines = [_header(results), ""]
    rows = [
        *_comparison_rows(results.get("node_topology")),
        *_scale_rows(results.get("node_topology_scale", [])),
        *_memory_rows(results.get("memory")),
        *_inventory_rows(results.get("inventory")),
        *_addon_rows(results.get("eks_addons")),
        *_site_rows(results.get("site")),
        *_delivery_rows(results.get("delivery")),
    ]
    titles = _row(*(title for title, _align, _width in COLUMNS), "baseline / goal", "ratio / verdict")
    lines += [titles, "-" * max(len(line) for line in [titles, *rows]), *rows]
    notes = _time_notes(results)
    if notes:
        lines += ["", "where the playbook time goes (task durations; the rest is start-up, inventory, callbacks):"]
        lines += notes
    return "\n".join(lines)


def _short(task: str) -> str:
    for prefix, short in TASK_NAMES.items():
        if task.startswith(prefix):
            return short
    return task[:32]


def _breakdown(label: str, wall_s: float, task_s: dict[str, float]) -> str:
    parts = [f"{_short(task)} {_seconds(seconds)}" for task, seconds in sorted(task_s.items(), key=lambda i: -i[1])]
    parts.append(f"rest {_seconds(max(0.0, wall_s - sum(task_s.values())))}")
    return f"  {label} ({_seconds(wall_s)}): " + ", ".join(parts)


def _time_notes(results: dict) -> list[str]:
    notes = []
    figures = results.get("node_topology")
    if figures:
        nodes = f"{figures['nodes']:,} nodes"
        notes.append(_breakdown(f"role, {nodes}", figures["collection_s"], figures["collection_task_s"]))
        notes.append(_breakdown(f"naive loop, {nodes}", figures["baseline_s"], figures["baseline_task_s"]))
    for run in results.get("node_topology_scale", []):
        nodes = f"{run['nodes']:,} nodes"
        notes.append(_breakdown(f"role, {nodes}, converge", run["converge_s"], run["converge_task_s"]))
        notes.append(_breakdown(f"role, {nodes}, no-op", run["noop_s"], run["noop_task_s"]))
    addons = results.get("eks_addons")
    if addons:
        count = len(addons["addons"])
        notes.append(_breakdown(f"eks_addons, {count} add-ons", addons["five_s"], addons["five_task_s"]))
        notes.append(_breakdown("eks_addons, one add-on", addons["one_s"], addons["one_task_s"]))
    return notes


def _header(results: dict) -> str:
    environment = results.get("environment", {})
    sandbox = results.get("sandbox", {})
    parts = [f"bespin.platform benchmarks, {environment.get('date', '?')}"]
    parts.append(f"{environment.get('cpus', '?')} CPUs, load {environment.get('load_at_start', '?')} at start")
    ups = [up for up in sandbox.get("ups", []) if not up["reused"]]
    if ups:
        sizes = ", ".join(f"{up['nodes']:,} ({_seconds(up['up_s'])})" for up in ups)
        parts.append(f"sandbox {sandbox['topology']} sized to each part: {sizes}")
    return "; ".join(parts)


def _comparison_rows(figures: dict | None) -> list[str]:
    if not figures:
        return []
    speedup = figures["speedup"]
    return [
        _row(
            "converge labels+taints: node_topology role",
            figures["nodes"],
            _seconds(figures["collection_s"]),
            figures["collection_writes"],
            f"naive loop {_seconds(figures['baseline_s'])}, {figures['baseline_writes']:,} writes",
            f"{speedup:.1f}x faster (goal >= {GOAL_SPEEDUP:.0f}x: {_verdict(speedup >= GOAL_SPEEDUP)})",
        )
    ]


def _scale_rows(runs: list[dict]) -> list[str]:
    lines = []
    first = runs[0] if runs else None
    for run in runs:
        nodes = run["nodes"]
        if nodes == GOAL_CONVERGE_NODES:
            baseline = f"goal < {GOAL_CONVERGE_S:.0f} s"
            ratio = _verdict(run["converge_s"] < GOAL_CONVERGE_S)
        elif first is not None and run is not first:
            baseline = f"{first['nodes']:,} nodes: {_seconds(first['converge_s'])}"
            ratio = f"{run['converge_s'] / first['converge_s']:.1f}x the time, {nodes / first['nodes']:.0f}x the nodes"
        else:
            baseline, ratio = "", ""
        lines.append(
            _row("role: first converge", nodes, _seconds(run["converge_s"]), run["converge_writes"], baseline, ratio)
        )
        if "api_floor_s" in run:
            lines.append(
                _row(
                    "  the same patches, bare client (floor)",
                    nodes,
                    _seconds(run["api_floor_s"]),
                    nodes,
                    "the API server's own limit",
                    f"role = floor + {_seconds(run['converge_s'] - run['api_floor_s'])}",
                )
            )
        lines.append(
            _row(
                "role: no-op rerun",
                nodes,
                _seconds(run["noop_s"]),
                run["noop_writes"],
                "goal 0 writes",
                _verdict(run["noop_writes"] == 0),
            )
        )
    return lines


def _memory_rows(memory: dict | None) -> list[str]:
    if not memory:
        return []
    reference = memory.get("reference_nodes")
    baseline, ratio = "", ""
    if reference:
        baseline = f"{reference:,} nodes: {memory['reference_max_rss_mib']:.0f} MiB"
        ratio = f"{memory['max_rss_mib'] / memory['reference_max_rss_mib']:.1f}x"
    return [
        _row(
            "role: peak RSS of ansible-playbook",
            memory["nodes"],
            f"{memory['max_rss_mib']:.0f} MiB",
            None,
            baseline,
            ratio,
        )
    ]


def _inventory_rows(figures: dict | None) -> list[str]:
    if not figures:
        return []
    baseline = f"aws_ec2 {_seconds(figures['aws_ec2_s'])}"
    rows = [
        ("ansible-inventory --list: eks_nodes", "eks_nodes_s", "ratio"),
        ("ansible-inventory --list: eks_nodes cached", "eks_nodes_cached_s", "cached_ratio"),
        ("ansible-inventory --list: eks_nodes + EC2", "eks_nodes_ec2_s", "ec2_ratio"),
    ]
    return [
        _row(name, figures["nodes"], _seconds(figures[seconds]), None, baseline, f"{figures[ratio]:.1f}x faster")
        for name, seconds, ratio in rows
        if seconds in figures
    ]


def baseline() -> dict:
    return json.loads(BASELINE_FILE.read_text()) if BASELINE_FILE.exists() else {}


def _addon_rows(figures: dict | None, before: dict | None = None) -> list[str]:
    if not figures:
        return []
    ratio = figures["ratio"]
    was = (before or baseline()).get("eks_addons", {}).get("ratio")
    return [
        _row(
            f"eks_addons: {len(figures['addons'])} managed add-ons ({figures['delay_s']:.0f} s delay)",
            None,
            _seconds(figures["five_s"]),
            figures["five_writes"],
            f"one add-on ({figures['single_addon']}) {_seconds(figures['one_s'])}",
            f"{ratio:.2f}x the time{f', before {was:.2f}x' if was else ''} "
            f"(goal <= {GOAL_ADDON_RATIO}x: {_verdict(ratio <= GOAL_ADDON_RATIO)})",
        )
    ]


SITE_RUN_LABELS = (
    ("site.yml: first converge", "converge"),
    ("site.yml: no-op rerun", "noop"),
    ("site.yml --check on a reset sandbox", "check"),
)


def _site_rows(figures: dict | None, before: dict | None = None) -> list[str]:
    """Each run beside its figure before the change (time, module invocations), with its goal."""
    if not figures:
        return []
    was = (before or baseline()).get("site", {})
    rows = []
    for label, key in SITE_RUN_LABELS:
        run, earlier = figures[key], was.get(key)
        goals = [f"<= {GOAL_SITE_S[key]:.0f} s"]
        met = run["wall_s"] <= GOAL_SITE_S[key] and not run.get("failed")
        if key != "converge":
            goals.append("0 writes" + ("" if key == "check" else ", changed=0"))
            met = met and run["writes"] == 0 and (key == "check" or run["changed"] == 0)
        calls = run.get("module_calls")
        rows.append(
            _row(
                label,
                figures["nodes"],
                _seconds(run["wall_s"]),
                run["writes"],
                f"before {_seconds(earlier['wall_s'])}, {earlier['module_calls']} modules" if earlier else "",
                f"{calls if calls is not None else '?'} modules; goal {', '.join(goals)}: {_verdict(met)}",
            )
        )
    return rows


def _delivery_rows(figures: dict | None) -> list[str]:
    if not figures:
        return []
    return [
        _row(
            f"Argo CD stage end to {figures['apps']} apps Synced+Healthy",
            "",
            _seconds(figures["synced_after_stage_s"]),
            "",
            f"the stage itself {_seconds(figures['argocd_stage_s'])}",
            "",
        ),
        _row(
            "commit to Rollout promoted, less pauses",
            "",
            _seconds(figures["promoted_less_pauses_s"]),
            "",
            f"{_seconds(figures['promoted_s'])} with {figures['pauses_s']} s of pauses",
            "",
        ),
    ]
