"""Find the Kubernetes, kwok and helm binaries built from their Go modules.

`sandbox/scripts/build-tools.sh` builds them into a cache outside the checkout
(once per pinned version) and prints the folder; calling it here means a fresh
machine builds on its first `sandbox up` and every later call costs
milliseconds.
"""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path

from .layout import REPO_ROOT

BUILD_SCRIPT = REPO_ROOT / "sandbox" / "scripts" / "build-tools.sh"


class ToolsError(RuntimeError):
    pass


@cache
def bin_dir() -> Path:
    override = os.environ.get("BESPIN_TOOLS_BIN")
    if override:
        return Path(override)
    result = subprocess.run(["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise ToolsError(f"building the sandbox tools failed ({BUILD_SCRIPT}, exit {result.returncode})")
    return Path(result.stdout.strip().splitlines()[-1])


def tool(name: str) -> str:
    path = bin_dir() / name
    if not path.exists():
        raise ToolsError(f"{path} is missing; rerun {BUILD_SCRIPT}")
    return str(path)
