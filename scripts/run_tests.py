#!/usr/bin/env python3
"""`make test`'s pytest step: the suite in two streams, each against its own sandbox.

Most of a run is Ansible starting modules and waiting on emulated clouds, which leaves
about half of a 2-CPU machine idle, so the molecule scenarios and the role tests run
beside the rest, against a second sandbox (its own directory and ports). The main
stream prints as it goes; the second's output is kept in a log and printed when both
are done. The exit status is the worse of the two.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The second stream: what holds most of the rest's weight and needs no other test's state.
SECOND_STREAM = ["tests/molecule", "tests/integration/roles", "tests/integration/gitops"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--second-sandbox-dir", default=str(ROOT / ".sandbox-second"))
    parser.add_argument("--second-port-base", default="29000")
    parser.add_argument("--log", default=str(ROOT / ".cache" / "tests-second-stream.log"))
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments for both streams")
    args = parser.parse_args()

    pytest = [sys.executable, "-m", "pytest", "--durations=25", *args.pytest_args]
    log = Path(args.log)
    log.parent.mkdir(parents=True, exist_ok=True)
    second_env = {
        **os.environ,
        "BESPIN_SANDBOX_DIR": args.second_sandbox_dir,
        "BESPIN_SANDBOX_PORT_BASE": args.second_port_base,
    }
    with log.open("w") as sink:
        second = subprocess.Popen(
            [*pytest, *SECOND_STREAM], cwd=ROOT, env=second_env, stdout=sink, stderr=subprocess.STDOUT
        )
        ignores = [f"--ignore={path}" for path in SECOND_STREAM]
        main_status = subprocess.run([*pytest, *ignores, "tests"], cwd=ROOT, check=False).returncode
        second_status = second.wait()
    print(f"\n===== second stream ({' '.join(SECOND_STREAM)}), against {args.second_sandbox_dir} =====", flush=True)
    print(log.read_text(), flush=True)
    print(f"main stream exit {main_status}, second stream exit {second_status}", flush=True)
    return main_status or second_status


if __name__ == "__main__":
    sys.exit(main())
