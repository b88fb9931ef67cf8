"""`sandbox`: run the local twin of the estate.

sandbox up [--topology FILE]   start what is not running, seed, wait until ready
sandbox down [--purge]         stop what `up` started (and delete its state)
sandbox status                 what runs, where, healthy or not
sandbox env                    `export` lines for a shell: eval "$(sandbox env)"
sandbox reset                  back to the freshly seeded state, no restart
sandbox git create NAME        an empty repository on the sandbox's git server; prints its clone URL
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from . import accounting
from .cluster import ClusterError
from .faults import KNOWN_FAULTS, FaultError, clear_faults, injected, set_faults
from .gitserver import create_repository
from .processes import ProcessError
from .sandbox import Sandbox
from .services.git import GitService
from .tools import ToolsError
from .topology import TopologyError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start and seed the sandbox (idempotent)")
    up.add_argument("--topology", metavar="FILE", help="topology file (default: the running one, else petclinic)")
    down = commands.add_parser("down", help="stop every process the sandbox started")
    down.add_argument("--purge", action="store_true", help="also delete the sandbox's state folder")
    commands.add_parser("status", help="show each component, its pid, address and health")
    commands.add_parser("env", help="print export lines for the sandbox's settings")
    commands.add_parser("reset", help="delete everything created since seeding")
    writes = commands.add_parser("writes", help="count mutating requests by service and verb")
    writes.add_argument("--mark", action="store_true", help="print a token that stands for 'now'")
    writes.add_argument("--since", metavar="TOKEN", help="count only writes after this token")
    writes.add_argument("--json", action="store_true", help="print the counts as JSON")
    faults = commands.add_parser("faults", help="inject failures (deterministic, seeded)")
    fault_commands = faults.add_subparsers(dest="fault_command", required=True)
    fault_set = fault_commands.add_parser("set", help="set the fault rates of one service")
    fault_set.add_argument("service", choices=sorted(KNOWN_FAULTS))
    fault_set.add_argument("rates", nargs="+", metavar="FAULT=RATE")
    fault_set.add_argument("--seed", type=int, default=0)
    fault_set.add_argument(
        "--only",
        metavar="REGEX",
        help='fault only the requests it matches: "METHOD path" (kubernetes, azure), "service:Operation" (aws)',
    )
    fault_set.add_argument("--times", type=int, metavar="N", help="stop after the first N faults")
    git = commands.add_parser("git", help="repositories on the sandbox's git server")
    git_commands = git.add_subparsers(dest="git_command", required=True)
    git_create = git_commands.add_parser("create", help="create an empty repository and print its clone URL")
    git_create.add_argument("name", help="a path such as team/app (the URL ends in NAME.git)")
    fault_commands.add_parser("clear", help="serve every request normally again")
    fault_commands.add_parser("show", help="print the current fault plan and the faults injected so far")
    args = parser.parse_args(argv)

    sandbox = Sandbox()
    try:
        if args.command == "up":
            sandbox.up(args.topology, log=log)
        elif args.command == "down":
            sandbox.down(purge=args.purge, log=log)
        elif args.command == "status":
            return _print_status(sandbox)
        elif args.command == "env":
            for name, value in sandbox.env().items():
                print(f"export {name}={shlex.quote(value)}")
        elif args.command == "reset":
            sandbox.reset(log=log)
        elif args.command == "writes":
            return _writes(sandbox, args)
        elif args.command == "faults":
            return _faults(sandbox, args)
        elif args.command == "git":
            return _git(sandbox, args)
    except (TopologyError, ProcessError, ClusterError, ToolsError, FaultError, ValueError) as exc:
        print(f"sandbox {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


def log(message: str) -> None:
    """Progress goes to stderr: stdout is kept for `env`, which a shell evaluates."""
    print(message, file=sys.stderr)


def _writes(sandbox: Sandbox, args: argparse.Namespace) -> int:
    directory = sandbox.layout.writes_dir
    if args.mark:
        print(accounting.mark(directory))
        return 0
    summary = accounting.summarize(accounting.writes_since(directory, args.since))
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
        return 0
    total = accounting.real_total(summary)
    for service, verbs in summary.items():
        print(f"{service:<12} " + ", ".join(f"{verb} {count}" for verb, count in verbs.items()))
    print(f"total writes: {total}")
    controllers = [
        w
        for w in accounting.writes_since(directory, args.since, controllers=True)
        if w.service == accounting.CONTROLLERS
    ]
    if controllers:
        print(f"not counted: {len(controllers)} writes by the controllers the sandbox runs (Argo CD, Argo Rollouts)")
    return 0


def _git(sandbox: Sandbox, args: argparse.Namespace) -> int:
    service = next(service for service in sandbox.services if isinstance(service, GitService))
    create_repository(service.directory, args.name)
    print(service.clone_url(args.name))
    return 0


def _faults(sandbox: Sandbox, args: argparse.Namespace) -> int:
    path = sandbox.layout.faults_file
    if args.fault_command == "set":
        rates = {}
        for item in args.rates:
            fault, _sep, rate = item.partition("=")
            try:
                rates[fault] = float(rate)
            except ValueError as exc:
                raise FaultError(f"{item!r}: expected FAULT=RATE with a rate between 0 and 1") from exc
        set_faults(path, args.service, rates, seed=args.seed, only=args.only, times=args.times)
    elif args.fault_command == "clear":
        clear_faults(path)
    print(path.read_text() if path.exists() else "{}")
    if args.fault_command == "show":
        counts = injected(path)
        print("injected so far: " + (", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "none"))
    return 0


def _print_status(sandbox: Sandbox) -> int:
    rows = sandbox.status()
    print(f"{'SERVICE':<12} {'COMPONENT':<24} {'PID':>8}  {'HEALTH':<9} ADDRESS")
    for row in rows:
        health = "healthy" if row.healthy else ("unhealthy" if row.pid else "stopped")
        print(f"{row.service:<12} {row.name:<24} {row.pid or '-':>8}  {health:<9} {row.url}")
    print(f"state: {sandbox.layout.root}")
    return 0 if all(row.healthy for row in rows) else 3


if __name__ == "__main__":
    sys.exit(main())
