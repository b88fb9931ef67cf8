"""Find the binaries built from their Go modules.

`sandbox/scripts/build-tools.sh` builds Kubernetes, kwok and helm, and
`sandbox/scripts/build-argo.sh` Argo CD, Argo Rollouts and kustomize (with the
CRDs generated from their API types), into a cache outside the checkout (once
per pinned version); each prints its folder. Calling them here means a fresh
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
ARGO_BUILD_SCRIPT = REPO_ROOT / "sandbox" / "scripts" / "build-argo.sh"


class ToolsError(RuntimeError):
    pass


def without_proxies(environ) -> dict[str, str]:
    """The environment less the proxy settings `sandbox env` exports for Azure's clients (a build needs the Go
    module proxy, and the Argo processes talk to loopback and git only)."""
    return {key: value for key, value in environ.items() if key.lower() not in ("https_proxy", "http_proxy")}


def _built(script: Path, override: str) -> Path:
    if os.environ.get(override):
        return Path(os.environ[override])
    env = without_proxies(os.environ)
    result = subprocess.run(["bash", str(script)], stdout=subprocess.PIPE, text=True, check=False, env=env)
    if result.returncode != 0 or not result.stdout.strip():
        raise ToolsError(f"building the sandbox tools failed ({script}, exit {result.returncode})")
    return Path(result.stdout.strip().splitlines()[-1])


@cache
def bin_dir() -> Path:
    return _built(BUILD_SCRIPT, "BESPIN_TOOLS_BIN")


@cache
def argo_bin_dir() -> Path:
    """Argo CD, Argo Rollouts and kustomize; their generated CRDs are in ../crds."""
    return _built(ARGO_BUILD_SCRIPT, "BESPIN_ARGO_BIN")


def tool(name: str) -> str:
    path = bin_dir() / name
    if not path.exists():
        raise ToolsError(f"{path} is missing; rerun {BUILD_SCRIPT}")
    return str(path)
