"""`sandbox`: run the local twin of the estate.

sandbox up [--topology FILE]   start what is not running, seed, wait until ready
sandbox down [--purge]         stop what `up` started (and delete its state)
sandbox status                 what runs, where, healthy or not
sandbox env                    `export` lines for a shell: eval "$(sandbox env)"
sandbox reset                  back to the freshly seeded state, no restart
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .cluster import ClusterError
from .processes import ProcessError
from .sandbox import Sandbox
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
    except (TopologyError, ProcessError, ClusterError, ToolsError) as exc:
        print(f"sandbox {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


def log(message: str) -> None:
    """Progress goes to stderr: stdout is kept for `env`, which a shell evaluates."""
    print(message, file=sys.stderr)


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
