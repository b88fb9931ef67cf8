"""The Helm chart repository: the stand-in charts of sandbox/charts, packaged and served over HTTP.

The upstream charts the roles install cannot be downloaded here, so the sandbox
offers charts of our own under the same names and versions (see
sandbox/charts/README.md). `prepare` packages every chart whose sources changed
since the last `up` with the helm the sandbox builds, and rebuilds index.yaml
only then, so repeated `up`s leave the repository (and its digests) alone.
Python's own http.server serves the folder: a chart repository is nothing but
static files, and nothing more is needed on loopback.

The Argo CD and Argo Rollouts charts get the CRDs generated from the pinned
controllers' Go API types (sandbox/scripts/build-argo.sh) in their crds/
folder when packaged: the real controllers the sandbox runs write every field
of them, and a schema written by hand would prune what it lacks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..layout import LOOPBACK, REPO_ROOT, Layout
from ..processes import ProcessError
from ..tools import argo_bin_dir, tool
from .base import Component, Service, http_ok

CHARTS_SOURCE = REPO_ROOT / "sandbox" / "charts"
INDEX = "index.yaml"
# What was packaged, per chart: the digest of its sources and the archive made from them.
MANIFEST = ".packaged.json"
# Charts whose crds/ come from the controllers' build: chart name -> folder under the build's crds/.
GENERATED_CRDS = {"argo-cd": "argo-cd", "argo-rollouts": "argo-rollouts"}


class ChartsService(Service):
    name = "charts"

    def __init__(self, layout: Layout, source: Path = CHARTS_SOURCE):
        super().__init__(layout)
        self.source = source
        self.url = f"http://{LOOPBACK}:{layout.chart_repo_port}"

    @property
    def directory(self) -> Path:
        return self.layout.root / "charts"

    # Service ----------------------------------------------------------------------

    def prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        packaged = self._manifest()
        sources = {path.name: path for path in sorted(self.source.iterdir()) if (path / "Chart.yaml").is_file()}
        changed = False
        for name in set(packaged) - set(sources):  # a chart that is gone from sandbox/charts
            (self.directory / packaged.pop(name)["archive"]).unlink(missing_ok=True)
            changed = True
        for name, path in sources.items():
            digest = source_digest(path, generated_crds(name))
            if packaged.get(name, {}).get("digest") == digest:
                continue
            if name in packaged:
                (self.directory / packaged[name]["archive"]).unlink(missing_ok=True)
            packaged[name] = {"digest": digest, "archive": self._package(path)}
            changed = True
        if changed or not (self.directory / INDEX).exists():
            # Relative archive URLs: helm resolves them against whatever URL the repository is added with.
            self._helm("repo", "index", str(self.directory))
            (self.directory / MANIFEST).write_text(json.dumps(packaged, indent=2, sort_keys=True))

    def components(self) -> list[Component]:
        return [
            Component(
                "chart-repo",
                [
                    sys.executable,
                    "-m",
                    "http.server",
                    str(self.layout.chart_repo_port),
                    f"--bind={LOOPBACK}",
                    f"--directory={self.directory}",
                ],
                lambda: http_ok(f"{self.url}/{INDEX}"),
                self.url,
            )
        ]

    def env(self) -> dict[str, str]:
        return {"BESPIN_CHART_REPO_URL": self.url}

    # Helpers ----------------------------------------------------------------------

    def _manifest(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads((self.directory / MANIFEST).read_text())
        except (OSError, ValueError):
            return {}

    def _package(self, chart: Path) -> str:
        """Package one chart into the repository folder; returns the archive's file name."""
        crds = generated_crds(chart.name)
        if crds is None:
            return self._package_folder(chart)
        with tempfile.TemporaryDirectory(prefix="bespin-chart-") as work:
            staged = Path(work) / chart.name
            shutil.copytree(chart, staged, ignore=shutil.ignore_patterns("crds"))
            shutil.copytree(crds, staged / "crds")
            return self._package_folder(staged)

    def _package_folder(self, chart: Path) -> str:
        output = self._helm("package", str(chart), f"--destination={self.directory}")
        # "Successfully packaged chart and saved it to: /path/name-version.tgz"
        return Path(output.strip().rsplit(": ", 1)[-1]).name

    def _helm(self, *args: str) -> str:
        result = subprocess.run([tool("helm"), *args], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ProcessError(f"charts: helm {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout


def generated_crds(chart: str) -> Path | None:
    """The folder of CRDs the controllers' build generated for `chart`, if it is one of theirs."""
    if chart not in GENERATED_CRDS:
        return None
    return argo_bin_dir().parent / "crds" / GENERATED_CRDS[chart]


def source_digest(chart: Path, *extra: Path | None) -> str:
    """A digest of every file of a chart (and of `extra` folders), names included, so any change shows."""
    digest = hashlib.sha256()
    for root in (chart, *(folder for folder in extra if folder is not None)):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()
