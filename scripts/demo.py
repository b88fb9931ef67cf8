#!/usr/bin/env python3
"""`make demo`: the sandbox up, site.yml converged twice, the DR drill, and the platform report.

The first run builds the platform on the sandbox; the second must change and
write nothing (counted by the sandbox itself, not taken from Ansible's word).
The DR drill then fails the primary over to the standby and back, and the
report shows its RTO (recorded on the health check) with the rest.
Long runs show which play and task they are in. Everything Ansible prints goes
to report/site-run-N.log; the report is printed and written as
report/platform.{txt,html,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bespin_sandbox.accounting import real_total

ROOT = Path(__file__).resolve().parents[1]
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<fields>(?:\w+=\d+\s*)+)$")
HEADER = re.compile(r"^(?P<kind>PLAY|TASK|RUNNING HANDLER) \[(?P<name>.*)\] \**$")


def sandbox(*args: str) -> str:
    return subprocess.run(["sandbox", *args], check=True, capture_output=True, text=True).stdout


def sandbox_env() -> dict[str, str]:
    """The connection settings `sandbox env` prints as shell exports."""
    settings = {}
    for line in sandbox("env").splitlines():
        name, _equals, value = line.removeprefix("export ").partition("=")
        settings[name] = value.strip("'\"")
    return settings


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    recap = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        match = RECAP_LINE.match(line.strip()) if in_recap else None
        if match:
            recap[match["host"]] = {
                key: int(value) for key, value in (field.split("=") for field in match["fields"].split())
            }
    return recap


def total(recap: dict[str, dict[str, int]]) -> dict[str, int]:
    summed: dict[str, int] = {}
    for counts in recap.values():
        for key, value in counts.items():
            summed[key] = summed.get(key, 0) + value
    return summed


def run_playbook(label: str, command: list[str], log: Path, env: dict[str, str]) -> tuple[int, str, float]:
    """Runs ansible-playbook, keeping its output in `log` and showing progress."""
    started = time.monotonic()
    lines = []
    shown = log.relative_to(Path.cwd()) if log.is_relative_to(Path.cwd()) else log
    print(f"\n== {label}: {' '.join(command)} (output in {shown})")
    with (
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT
        ) as process,
        log.open("w") as out,
    ):
        for line in process.stdout:
            out.write(line)
            lines.append(line)
            header = HEADER.match(line.strip())
            if header:
                elapsed = time.monotonic() - started
                stamp = f"[{int(elapsed // 60):2d}:{int(elapsed % 60):02d}]"
                if header["kind"] == "PLAY":
                    print(f"{stamp} {header['name']}", flush=True)
                else:
                    print(f"{stamp}   {header['name']}", flush=True)
            elif line.startswith(("fatal:", "failed:")) or "[ERROR]" in line:
                print(f"        {line.rstrip()}", flush=True)
    return process.returncode, "".join(lines), time.monotonic() - started


def writes_since(mark: str) -> tuple[int, dict]:
    """Writes the sandbox saw since `mark`; dry-run requests (check mode) change nothing."""
    counts = json.loads(sandbox("writes", "--since", mark, "--json"))
    return real_total(counts), counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", default="inventories/sandbox")
    parser.add_argument("--report-dir", type=Path, default=Path.cwd() / "report")
    parser.add_argument(
        "--installed",
        action="store_true",
        help="run the playbooks of the installed collection (bespin.platform.site) instead of the checkout's",
    )
    args = parser.parse_args()
    report_dir = args.report_dir.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)

    print("== sandbox up")
    print(sandbox("up").strip())
    # The default callback whatever the caller's environment says: the progress lines here, and
    # the tests that compare the first run's changed tasks with check mode's, read its banners.
    env = {
        **os.environ,
        **sandbox_env(),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
    }
    site = "bespin.platform.site" if args.installed else "site.yml"
    report = "bespin.platform.platform_report" if args.installed else "playbooks/platform_report.yml"
    inventory = str((ROOT / args.inventory).resolve())

    runs = []
    failed = False
    for number in (1, 2):
        mark = sandbox("writes", "--mark").strip()
        label = "first run (converge)" if number == 1 else "second run (nothing may change)"
        code, output, seconds = run_playbook(
            label, ["ansible-playbook", site, "-i", inventory], report_dir / f"site-run-{number}.log", env
        )
        writes, by_service = writes_since(mark)
        recap = parse_recap(output)
        summed = total(recap)
        runs.append({"name": label, "recap": summed, "hosts": recap, "seconds": round(seconds, 1), "writes": writes})
        print(
            f"== {label}: rc={code} "
            + " ".join(f"{key}={summed.get(key, 0)}" for key in ("ok", "changed", "failed"))
            + f", {seconds:.0f} s, sandbox writes {writes} {json.dumps(by_service) if writes else ''}".rstrip()
        )
        if code != 0 or not recap:
            failed = True
            break

    if not failed:
        drill = "bespin.platform.dr_drill" if args.installed else "playbooks/dr_drill.yml"
        code, output, seconds = run_playbook(
            "DR drill", ["ansible-playbook", drill, "-i", inventory], report_dir / "dr-drill.log", env
        )
        print(f"== DR drill: rc={code}, {seconds:.0f} s")
        for line in output.splitlines():
            if line.strip().lstrip("- ").startswith("RTO "):
                print(f"   {line.strip().lstrip('- ')}")
        failed = code != 0

    (report_dir / "runs.json").write_text(json.dumps({"bespin_report_runs": runs}, indent=2) + "\n")
    code, _output, _seconds = run_playbook(
        "platform report",
        [
            "ansible-playbook",
            report,
            "-i",
            inventory,
            "-e",
            f"@{report_dir / 'runs.json'}",
            "-e",
            f"bespin_report_dir={report_dir}",
        ],
        report_dir / "report-run.log",
        env,
    )
    if code == 0:
        print()
        print((report_dir / "platform.txt").read_text())
        print(f"HTML report: {report_dir / 'platform.html'}")
    failed = failed or code != 0
    if len(runs) == 2 and (runs[1]["recap"].get("changed", 0) or runs[1]["writes"]):
        print("== the second run changed or wrote something: that is a defect, see the log above")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
