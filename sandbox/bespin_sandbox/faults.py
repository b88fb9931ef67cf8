"""Fault injection: a plan of failure rates per service, shared by every emulator.

``sandbox faults set aws throttling=0.2`` writes the plan to
``<sandbox>/faults.json``; each emulator's request handler asks
``FaultPlan.decide`` before serving a request. Decisions are deterministic: a
seeded generator per service, so the same sequence of requests meets the same
faults on every run.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from collections import Counter
from pathlib import Path

# The faults each service knows, and what a client sees.
KNOWN_FAULTS: dict[str, tuple[str, ...]] = {
    # Throttling: 400 ThrottlingException (or 429 TooManyRequestsException for REST APIs).
    "aws": ("throttling", "error500", "error503", "latency"),
    # 429 with a Retry-After header, 500, added latency.
    "azure": ("throttling", "error500", "latency"),
    # 429 with Retry-After, 500, 503, a reset TCP connection, added latency, and "conflict": another
    # writer changes the object just before a PATCH/PUT reaches it (a guarded write then gets a real 409).
    "kubernetes": ("throttling", "error500", "error503", "reset", "latency", "conflict"),
}
LATENCY_SECONDS = 0.25
# Every injected fault is journaled beside the plan, one line each, so a test can prove
# that a run it calls "under faults" really met them.
JOURNAL_NAME = "faults-injected.log"


class FaultError(ValueError):
    pass


class FaultPlan:
    """Reads the plan file (re-read when it changes) and decides per request."""

    def __init__(self, path: Path, service: str):
        self.path = path
        self.service = service
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._rates: dict[str, float] = {}
        self._only: re.Pattern | None = None
        self._left: int | None = None  # faults still to inject, when the plan limits them
        self._random = random.Random(0)  # noqa: S311 - reproducible, not secret

    def decide(self, request: str = "") -> str | None:
        """The fault to inject into this request (what --only matches), or None to serve it normally."""
        with self._lock:
            self._reload()
            if not self._rates or self._left == 0 or (self._only is not None and not self._only.search(request)):
                return None
            draw = self._random.random()
            for fault, rate in sorted(self._rates.items()):
                if draw < rate:
                    self._journal(fault)
                    if self._left is not None:
                        self._left -= 1
                    return fault
                draw -= rate
            return None

    def _journal(self, fault: str) -> None:
        # O_APPEND: lines from the emulators' processes and threads never interleave.
        fd = os.open(self.path.with_name(JOURNAL_NAME), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, f"{self.service} {fault}\n".encode())
        finally:
            os.close(fd)

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            self._rates, self._only, self._left, self._mtime = {}, None, None, None
            return
        if mtime == self._mtime:
            return
        plan = json.loads(self.path.read_text() or "{}")
        self._mtime = mtime
        self._rates = plan.get("services", {}).get(self.service, {})
        only = plan.get("only", {}).get(self.service)
        self._only = re.compile(only) if only else None
        self._left = plan.get("times", {}).get(self.service)
        self._random = random.Random(f"{plan.get('seed', 0)}/{self.service}")  # noqa: S311


def set_faults(
    path: Path, service: str, rates: dict[str, float], seed: int = 0, only: str | None = None, times: int | None = None
) -> dict:
    if service not in KNOWN_FAULTS:
        raise FaultError(f"unknown service {service!r}; known: {', '.join(KNOWN_FAULTS)}")
    for fault, rate in rates.items():
        if fault not in KNOWN_FAULTS[service]:
            raise FaultError(f"{service} has no fault {fault!r}; known: {', '.join(KNOWN_FAULTS[service])}")
        if not 0 <= rate <= 1:
            raise FaultError(f"{service} {fault}: rate {rate} must be between 0 and 1")
    if sum(rates.values()) > 1:
        raise FaultError(f"{service}: the rates add up to more than 1")
    if only is not None:
        try:
            re.compile(only)
        except re.error as exc:
            raise FaultError(f"{service} --only {only!r}: not a regular expression ({exc})") from exc
    if times is not None and times < 1:
        raise FaultError(f"{service} --times {times}: must be at least 1")
    plan = json.loads(path.read_text()) if path.exists() else {}
    plan["seed"] = seed
    plan.setdefault("services", {})[service] = rates
    for key, value in (("only", only), ("times", times)):
        if value is not None:
            plan.setdefault(key, {})[service] = value
        else:
            plan.get(key, {}).pop(service, None)
    # Write-then-rename: an emulator reading the plan never sees half a file.
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(plan, indent=2))
    partial.replace(path)
    return plan


def clear_faults(path: Path) -> None:
    path.unlink(missing_ok=True)


def injected(path: Path) -> Counter[str]:
    """How many faults were injected so far (since `sandbox up` made the journal), as "service fault" counts."""
    journal = path.with_name(JOURNAL_NAME)
    return Counter(journal.read_text().splitlines()) if journal.exists() else Counter()
