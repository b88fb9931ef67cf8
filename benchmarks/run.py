"""`make bench`: the node-topology benchmarks, in one run, against the benchmark's own sandbox.

Brings a private sandbox up with the benchmark topology (never the default
one), measures, writes benchmarks/results/latest.json, prints one table and
stops the sandbox (unless --keep). benchmarks/README.md says what each figure
means. Benchmarks are never tests: nothing here asserts on a duration.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml
from kubernetes.client.rest import ApiException

sys.path.insert(0, str(Path(__file__).resolve().parent))
# `make setup` links this checkout as <venv>/collections/ansible_collections/bespin/platform.
sys.path.insert(0, str(Path(sys.prefix) / "collections"))

from bespin_bench import inventories, report, slices
from bespin_bench.delivery import delivery
from bespin_bench.measure import CommandFailed, run_measured
from bespin_bench.sandbox import BIN, BenchSandbox, total_writes
from bespin_bench.scenarios import NotConverged, PlaybookRun, Runner, module_calls

from bespin_sandbox import topology as topologies

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOPOLOGY = ROOT / "sandbox" / "bespin_sandbox" / "topologies" / "bench-5000.yml"
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "latest.json"
# Issue 5's add-on benchmark: five managed add-ons (none needing IAM, so one wave)
# next to one of them, each add-on taking an EKS-like activation delay.
BENCH_ADDONS = ("eks-pod-identity-agent", "vpc-cni", "coredns", "kube-proxy", "metrics-server")
SINGLE_ADDON = "coredns"
ADDON_DELAY_S = 10.0
# The node_topology module's default parallelism, for the bare-client floor.
API_FLOOR_WORKERS = 10
DEFAULT_SANDBOX_DIR = Path.home() / ".cache" / "bespin-platform" / "bench-sandbox"
# site.yml runs on the estate the sandbox inventory describes (the default topology).
SITE_TOPOLOGY = ROOT / "sandbox" / "bespin_sandbox" / "topologies" / "petclinic.yml"
SITE_RUNS = (("check", ["--check"]), ("converge", []), ("noop", []))
# The root app, its four children and the ApplicationSet's three (the sandbox inventory and gitops/).
DELIVERY_APPS = 8


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sandbox-dir", type=Path, default=DEFAULT_SANDBOX_DIR, help="the benchmark's sandbox")
    parser.add_argument("--port-base", type=int, default=25000, help="its port base (BESPIN_SANDBOX_PORT_BASE)")
    parser.add_argument("--keep", action="store_true", help="leave the sandbox running at the end")
    parser.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY, help="the benchmark topology")
    parser.add_argument("--compare-nodes", type=int, default=100, help="nodes for role vs naive loop")
    parser.add_argument("--scale-nodes", default="1000,5000", help="comma-separated node counts for the role")
    parser.add_argument("--inventory-nodes", type=int, default=2000, help="nodes for the inventory plugins")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated parts to leave out: addons, compare, scale, inventory, site, delivery (for development)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the results JSON goes")
    parser.add_argument("--report-only", action="store_true", help="print the table of --output and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        print(report.render(json.loads(args.output.read_text())))
        return 0
    skip = {part for part in args.skip.split(",") if part}
    unknown = skip - {"addons", "compare", "scale", "inventory", "site", "delivery"}
    if unknown:
        print(f"bench: --skip: unknown part(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    try:
        scale_nodes = [int(size) for size in args.scale_nodes.split(",") if size]
        topology = topologies.load(args.topology)
        # Every size is checked before the (long) sandbox start.
        wanted = {
            "--compare-nodes": [args.compare_nodes] if "compare" not in skip else [],
            "--scale-nodes": scale_nodes if "scale" not in skip else [],
            "--inventory-nodes": [args.inventory_nodes] if "inventory" not in skip else [],
            # Add-ons do not depend on the nodes: measured in the smallest cluster.
            "--addons-nodes": [slices.available_sizes(topology)[0]] if "addons" not in skip else [],
        }
        if not any(wanted.values()) and {"site", "delivery"} <= skip:
            raise ValueError("--skip: nothing left to run")
        for option, sizes in wanted.items():
            for size in sizes:
                slices.nodegroups_for(topology, size, option)
    except (ValueError, topologies.TopologyError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    results: dict = {"environment": _environment()}
    sandbox = BenchSandbox(args.sandbox_dir, args.port_base)
    with tempfile.TemporaryDirectory(prefix="bespin-bench-") as work:
        work_dir = Path(work)
        try:
            was_running = sandbox.running()
            if was_running:
                # A run stopped halfway leaves labelled nodes, which `sandbox up` would restore
                # by replacing whole nodes (a race with kwok's heartbeats it can lose).
                _restore(sandbox)
            results["sandbox"] = {"topology": args.topology.name, "was_running": was_running, "ups": []}
            runner = None
            # Smallest first, each in a cluster of exactly the nodes it measures: a
            # cluster's own kubelets (here kwok's leases) load its control plane, and
            # on a two-CPU machine that control plane shares the CPUs with Ansible.
            for size, part in _steps(wanted):
                results["sandbox"]["ups"].append(_resize(sandbox, topology, size, args.topology, work_dir))
                runner = runner or Runner.for_sandbox(ROOT, sandbox)
                _restore(sandbox)
                if part == "compare":
                    results["node_topology"] = compare(runner, topology, size, work_dir)
                elif part == "scale":
                    run = scale_one(runner, topology, size, work_dir)
                    results.setdefault("node_topology_scale", []).append(run)
                    results["memory"] = memory_of(results["node_topology_scale"])
                elif part == "addons":
                    results["eks_addons"] = addons(runner, work_dir)
                else:
                    results["inventory"] = inventory(runner, topology, size, work_dir)
                # Saved after each part: a failure late in a long run keeps the figures measured so far.
                _save(args.output, results)
            if "site" not in skip:
                results["site"] = site(sandbox)
                _save(args.output, results)
            if "delivery" not in skip:
                log("delivery: site.yml's stages up to Argo CD, then every app synced, then a canary release...")
                results["delivery"] = delivery(sandbox, ROOT, SITE_TOPOLOGY, DELIVERY_APPS)
            _save(args.output, results)
        except (CommandFailed, NotConverged, RuntimeError, ApiException) as exc:
            print(report.render(results))
            print(f"bench: {exc}", file=sys.stderr)
            return 1
        finally:
            if not args.keep:
                sandbox.down()
    print(report.render(results))
    print(f"\nresults: {args.output}")
    return 0


def _save(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _environment() -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": os.cpu_count(),
        "load_at_start": round(os.getloadavg()[0], 2),
    }


def _steps(wanted: dict[str, list[int]]) -> list[tuple[int, str]]:
    """(size, part) in the order they run: by size, the comparison first at equal sizes."""
    order = {"addons": 0, "compare": 1, "scale": 2, "inventory": 3}
    parts = {option: option.removeprefix("--").removesuffix("-nodes") for option in wanted}
    steps = [(size, parts[option]) for option, sizes in wanted.items() for size in sizes]
    return sorted(steps, key=lambda step: (step[0], order[step[1]]))


def _resize(sandbox: BenchSandbox, topology: topologies.Topology, size: int, source: Path, work_dir: Path) -> dict:
    """Bring the sandbox to exactly the nodegroups of this size (grown or shrunk by `sandbox up`),
    unless it already runs them."""
    cut = slices.trimmed(topology, size)
    running = sandbox.topology() if sandbox.layout.topology_file.exists() else None
    if running is not None and sandbox.running() and _same(running, cut):
        return {"nodes": cut.node_count, "up_s": 0.0, "reused": True}
    if cut.nodegroups == topology.nodegroups:
        path = source
    else:
        path = work_dir / f"{source.stem}-{size}.yml"
        path.write_text(yaml.safe_dump(cut.to_document(), sort_keys=False))
    log(f"bringing the benchmark sandbox in {sandbox.layout.root} to {cut.node_count:,} nodes...")
    up_s = sandbox.up(path)
    settle_s = sandbox.settle()
    log(f"  up in {up_s:.1f} s, settled {settle_s:.1f} s later")
    return {"nodes": cut.node_count, "up_s": round(up_s, 1), "settle_s": round(settle_s, 1), "reused": False}


def _restore(sandbox: BenchSandbox) -> None:
    """Back to the unlabelled nodes, so every converge does the same work."""
    sandbox.restore_nodes(inventories.LABEL_PREFIX, {inventories.DOMAIN_KEY})


def _same(running: topologies.Topology, needed: topologies.Topology) -> bool:
    """Whether the running cluster holds exactly the needed nodegroups."""
    return dataclasses.replace(running, source="").same_cluster_as(dataclasses.replace(needed, source=""))


def _playbook(runner: Runner, playbook: str, inventory_path: Path, label: str) -> PlaybookRun:
    run = runner.playbook(playbook, inventory_path)
    log(f"  {label}: {run.wall_s:.1f} s, {run.writes} writes, peak RSS {run.max_rss_mib:.0f} MiB")
    return run


def _converge(runner: Runner, playbook: str, nodes: list[str], inventory_path: Path, label: str) -> PlaybookRun:
    run = _playbook(runner, playbook, inventory_path, label)
    runner.check_converged(nodes)
    return run


def compare(runner: Runner, topology: topologies.Topology, size: int, work_dir: Path) -> dict:
    """The role and the naive kubernetes.core loop converge the same nodes from the same state."""
    nodes = slices.node_names(topology, size, "--compare-nodes")
    inventory_path = inventories.write_node_inventory(work_dir / f"nodes-{size}.yml", nodes)
    log(f"{size:,} nodes: node_topology role...")
    role = _converge(runner, "role.yml", nodes, inventory_path, "role")
    _restore(runner.sandbox)
    log(f"{size:,} nodes: naive loop of kubernetes.core.k8s + k8s_taint (one module call per node and task)...")
    naive = _converge(runner, "naive_loop.yml", nodes, inventory_path, "naive loop")
    _restore(runner.sandbox)
    return {
        "nodes": size,
        "collection_s": round(role.wall_s, 2),
        "baseline_s": round(naive.wall_s, 2),
        "speedup": round(naive.wall_s / role.wall_s, 1),
        "collection_writes": role.writes,
        "baseline_writes": naive.writes,
        "collection_task_s": _rounded(role.task_s),
        "baseline_task_s": _rounded(naive.task_s),
    }


def scale_one(runner: Runner, topology: topologies.Topology, size: int, work_dir: Path) -> dict:
    """The role's first converge and its no-op rerun on this many nodes."""
    nodes = slices.node_names(topology, size, "--scale-nodes")
    inventory_path = inventories.write_node_inventory(work_dir / f"nodes-{size}.yml", nodes)
    log(f"{size:,} nodes: node_topology role, first converge then no-op rerun...")
    converge = _converge(runner, "role.yml", nodes, inventory_path, "first converge")
    noop = _playbook(runner, "role.yml", inventory_path, "no-op rerun")
    _restore(runner.sandbox)
    # The same writes from a bare client at the module's default parallelism: what
    # this sandbox's API server allows at best, to read the role's figure against.
    patches = {name: inventories.desired_patch(domain) for name, domain in inventories.desired_state(nodes).items()}
    floor_s = runner.sandbox.patch_nodes(patches, API_FLOOR_WORKERS)
    runner.check_converged(nodes)
    _restore(runner.sandbox)
    log(f"  the same {size:,} patches from a bare client: {floor_s:.1f} s")
    return {
        "nodes": size,
        "converge_s": round(converge.wall_s, 2),
        "converge_writes": converge.writes,
        "converge_task_s": _rounded(converge.task_s),
        "noop_s": round(noop.wall_s, 2),
        "noop_writes": noop.writes,
        "noop_task_s": _rounded(noop.task_s),
        "max_rss_mib": round(max(converge.max_rss_mib, noop.max_rss_mib), 1),
        "api_floor_s": round(floor_s, 2),
    }


def memory_of(runs: list[dict]) -> dict:
    """Peak RSS at the largest size, next to the smallest as the reference."""
    largest = max(runs, key=lambda run: run["nodes"])
    memory = {"nodes": largest["nodes"], "max_rss_mib": largest["max_rss_mib"]}
    smallest = min(runs, key=lambda run: run["nodes"])
    if smallest is not largest:
        memory.update(reference_nodes=smallest["nodes"], reference_max_rss_mib=smallest["max_rss_mib"])
    return memory


def addons(runner: Runner, work_dir: Path) -> dict:
    """The eks_addons role installing five managed add-ons, next to it installing one."""
    sandbox = runner.sandbox
    previous_delay = sandbox.addon_delay()
    sandbox.addon_delay(ADDON_DELAY_S)
    runs = {}
    try:
        for label, names in (("one", [SINGLE_ADDON]), ("five", list(BENCH_ADDONS))):
            sandbox.remove_addons()
            inventory_path = inventories.write_addons_inventory(work_dir / f"addons-{label}.yml", names)
            log(f"eks_addons role: {len(names)} managed add-on(s), {ADDON_DELAY_S:.0f} s activation delay each...")
            runs[label] = _playbook(runner, "addons.yml", inventory_path, ", ".join(names))
            runner.check_addons_active(names)
        sandbox.remove_addons()
    finally:
        sandbox.addon_delay(previous_delay)
    return {
        "addons": list(BENCH_ADDONS),
        "single_addon": SINGLE_ADDON,
        "delay_s": ADDON_DELAY_S,
        "five_s": round(runs["five"].wall_s, 2),
        "one_s": round(runs["one"].wall_s, 2),
        "ratio": round(runs["five"].wall_s / runs["one"].wall_s, 2),
        "five_writes": runs["five"].writes,
        "one_writes": runs["one"].writes,
        "five_task_s": _rounded(runs["five"].task_s),
        "one_task_s": _rounded(runs["one"].task_s),
    }


def inventory(runner: Runner, topology: topologies.Topology, size: int, work_dir: Path) -> dict:
    """ansible-inventory --list: eks_nodes (uncached, cached, with EC2 enrichment) and aws_ec2, same nodes."""
    groups = slices.nodegroups_for(topology, size, "--inventory-nodes")
    selector = slices.label_selector(groups)
    plain = inventories.write_eks_nodes_config(work_dir / "plain.eks_nodes.yml", selector)
    cached = inventories.write_eks_nodes_config(work_dir / "cached.eks_nodes.yml", selector, work_dir / "cache")
    enriched = inventories.write_eks_nodes_config(work_dir / "ec2.eks_nodes.yml", selector, ec2_enrichment=True)
    aws = inventories.write_aws_ec2_config(
        work_dir / "bench.aws_ec2.yml", groups, topology.region, runner.env["AWS_ENDPOINT_URL"]
    )
    log(f"{size:,} nodes: ansible-inventory --list with eks_nodes (uncached, then cached)...")
    runs = {"eks_nodes": runner.inventory_list(plain)}
    runner.inventory_list(cached)  # fills the cache
    runs["eks_nodes_cached"] = runner.inventory_list(cached)
    log(f"{size:,} nodes: ansible-inventory --list with eks_nodes + ec2_enrichment, then amazon.aws.aws_ec2...")
    runs["eks_nodes_ec2"] = runner.inventory_list(enriched)
    runs["aws_ec2"] = runner.inventory_list(aws)
    for name, run in runs.items():
        log(f"  {name}: {run.wall_s:.1f} s, {run.hosts} hosts, peak RSS {run.max_rss_mib:.0f} MiB")
        if run.hosts != size:
            raise NotConverged(f"ansible-inventory with {name} listed {run.hosts} hosts, not {size}")
    return {
        "nodes": size,
        "eks_nodes_s": round(runs["eks_nodes"].wall_s, 2),
        "eks_nodes_cached_s": round(runs["eks_nodes_cached"].wall_s, 2),
        "aws_ec2_s": round(runs["aws_ec2"].wall_s, 2),
        "ratio": round(runs["aws_ec2"].wall_s / runs["eks_nodes"].wall_s, 1),
        "cached_ratio": round(runs["aws_ec2"].wall_s / runs["eks_nodes_cached"].wall_s, 1),
        "eks_nodes_ec2_s": round(runs["eks_nodes_ec2"].wall_s, 2),
        "ec2_ratio": round(runs["aws_ec2"].wall_s / runs["eks_nodes_ec2"].wall_s, 1),
        "max_rss_mib": {name: round(run.max_rss_mib, 1) for name, run in runs.items()},
    }


def site(sandbox: BenchSandbox) -> dict:
    """site.yml with the sandbox inventory: --check on a freshly reset estate, then the
    first converge and a no-op rerun, each with its wall time and the writes the sandbox saw."""
    log("site.yml: the sandbox reseeded with the default estate, then --check, converge, no-op rerun...")
    up_s = sandbox.up(SITE_TOPOLOGY)
    sandbox.reset()
    runner = Runner.for_sandbox(ROOT, sandbox)
    figures: dict = {"nodes": len(sandbox.list_nodes()), "up_s": round(up_s, 1)}
    for label, options in SITE_RUNS:
        mark = sandbox.mark()
        measured = run_measured(
            [str(BIN / "ansible-playbook"), "-i", "inventories/sandbox", "site.yml", *options], runner.env, str(ROOT)
        )
        stats = json.loads(measured.stdout).get("stats", {})
        figures[label] = {
            "wall_s": round(measured.wall_s, 1),
            "writes": total_writes(sandbox.writes_since(mark)),
            "changed": sum(host.get("changed", 0) for host in stats.values()),
            "failed": sum(host.get("failures", 0) + host.get("unreachable", 0) for host in stats.values()),
            "max_rss_mib": round(measured.max_rss_mib, 1),
            "module_calls": module_calls(measured.stdout),
        }
        run = figures[label]
        log(f"  {label}: {run['wall_s']} s, {run['writes']} writes, changed={run['changed']}, failed={run['failed']}, "
            f"{run['module_calls']} module calls")  # fmt: skip
    return figures


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 2) for name, value in seconds.items()}


if __name__ == "__main__":
    sys.exit(main())
