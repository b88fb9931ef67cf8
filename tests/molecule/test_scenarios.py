"""Every role's molecule scenario, run against the session's sandbox.

Each scenario's own sequence (syntax, check, converge, idempotence, verify) is
molecule's; this only runs it with the sandbox's settings exported and reports
its log when it fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(path.parent.name for path in (ROOT / "molecule").glob("*/molecule.yml"))

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(sandbox, scenario):
    result = subprocess.run(
        ["molecule", "test", "--scenario-name", scenario],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, (
        f"molecule test -s {scenario} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    )
