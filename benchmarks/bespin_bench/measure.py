"""Run one command and measure it: wall time and the peak resident memory of its process tree."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


class CommandFailed(RuntimeError):
    """A measured command exited non-zero; the benchmark figure would mean nothing."""


@dataclass(frozen=True)
class Measured:
    wall_s: float
    # ru_maxrss of wait4(): the largest resident set of any single process of the tree
    # (ansible-playbook, its forked workers, the module processes), in MiB.
    max_rss_mib: float
    stdout: str
    stderr: str


def run_measured(argv: list[str], env: dict[str, str], cwd: str) -> Measured:
    """Run argv to completion; raise CommandFailed (with its stderr) unless it exits 0.

    wait4() on the child gives its own resource usage, unlike
    getrusage(RUSAGE_CHILDREN), which would mix in every earlier command of
    the benchmark. Output goes to files, not pipes, so nothing has to be
    read while we block in wait4().
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise CommandFailed(f"{' '.join(argv[:3])} ... exited {process.returncode}\n{stderr[-3000:]}\n{stdout[-3000:]}")
    return Measured(wall_s=wall, max_rss_mib=usage.ru_maxrss / 1024, stdout=stdout, stderr=stderr)
