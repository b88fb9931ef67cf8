"""Fixtures shared by the whole-platform tests: the built collection, `make demo`'s run, and the
fault-free estate it leaves, which the reliability scenario is compared with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import estate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """An empty collections path with the built tarball installed in it."""
    build_dir = tmp_path_factory.mktemp("build")
    subprocess.run(
        ["ansible-galaxy", "collection", "build", "--output-path", str(build_dir), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    collections = tmp_path_factory.mktemp("collections")
    subprocess.run(
        ["ansible-galaxy", "collection", "install", "--force", "--no-deps", "-p", str(collections),
         str(build_dir / f"bespin-platform-{version}.tar.gz")],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    return collections


@dataclass
class Demo:
    result: subprocess.CompletedProcess
    report_dir: Path
    estate: dict  # what the sandbox holds right after the demo, as estate.snapshot() reads it

    @property
    def runs(self) -> list[dict]:
        return json.loads((self.report_dir / "runs.json").read_text())["bespin_report_runs"]


@pytest.fixture(scope="session")
def demo(sandbox_session, installed, tmp_path_factory) -> Demo:
    """`make demo`'s own steps (scripts/demo.py) on a freshly reset sandbox, with the installed
    collection's playbooks: two site runs, then the report."""
    reset = subprocess.run(["sandbox", "reset"], capture_output=True, text=True, check=False)
    assert reset.returncode == 0, reset.stderr
    report_dir = tmp_path_factory.mktemp("report")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--installed", "--report-dir", str(report_dir)],
        env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(installed)},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return Demo(result, report_dir, estate.snapshot())


@pytest.fixture(scope="session")
def reference_estate(demo) -> dict:
    """The estate a fault-free site.yml converge builds (the demo's first run; its second changed nothing)."""
    assert demo.result.returncode == 0, demo.result.stdout[-4000:]
    return demo.estate
