"""Write accounting: every emulator records the mutating requests it serves.

Each emulator appends one JSON line per write to ``<sandbox>/writes/<service>.jsonl``
(``{"service", "verb", "path", "dry_run"}``); Kubernetes writes come from the
kube-apiserver's audit log in the same folder. A *mark* is the byte size of
every journal at one moment, encoded as a token, so ``sandbox writes --since
TOKEN`` counts exactly what came after, without clocks. Tests use it to prove
that a check-mode run or an idempotent rerun wrote nothing.

The controllers the sandbox runs for the estate (Argo CD, Argo Rollouts) write
too, as their service accounts: those writes are the controllers' own work,
not the collection's, and are left out unless asked for (service
``controllers``).
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MUTATING_HTTP_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Kubernetes writes made by an in-cluster controller's service account.
CONTROLLERS = "controllers"
_SERVICE_ACCOUNT_USER = "system:serviceaccount:"


@dataclass(frozen=True)
class Write:
    service: str
    verb: str
    path: str
    dry_run: bool = False


class Journal:
    """Append-only journal of one service's writes; safe across threads and processes."""

    def __init__(self, directory: Path, service: str):
        self.path = directory / f"{service}.jsonl"
        self.service = service
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def record(self, verb: str, path: str, dry_run: bool = False) -> None:
        line = json.dumps({"service": self.service, "verb": verb, "path": path, "dry_run": dry_run}) + "\n"
        with self._lock:
            # O_APPEND writes of one short line are atomic between processes.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


def _journals(directory: Path) -> list[Path]:
    if not directory.exists():
        return []
    return sorted([*directory.glob("*.jsonl"), *directory.glob("*.audit.log")])


def _parse(journal: Path, raw: bytes) -> Write | None:
    entry = json.loads(raw)
    if journal.name.endswith(".audit.log"):
        # A kube-apiserver audit event (audit.k8s.io/v1), written by the policy in services/kubernetes.py.
        if entry.get("stage") != "ResponseComplete":
            return None
        uri = entry["requestURI"]
        user = entry.get("user", {}).get("username", "")
        service = CONTROLLERS if user.startswith(_SERVICE_ACCOUNT_USER) else "kubernetes"
        return Write(service, entry["verb"], uri.split("?", 1)[0], "dryRun=All" in uri)
    return Write(entry["service"], entry["verb"], entry["path"], entry.get("dry_run", False))


def mark(directory: Path) -> str:
    sizes = {p.name: p.stat().st_size for p in _journals(directory)}
    return base64.urlsafe_b64encode(json.dumps(sizes, separators=(",", ":")).encode()).decode().rstrip("=")


def writes_since(directory: Path, token: str | None = None, controllers: bool = False) -> list[Write]:
    """The writes after `token` (all without one); the controllers' own only with `controllers`."""
    offsets: dict[str, int] = {}
    if token:
        padded = token + "=" * (-len(token) % 4)
        offsets = json.loads(base64.urlsafe_b64decode(padded))
    result = []
    for journal in _journals(directory):
        with open(journal, "rb") as handle:
            handle.seek(offsets.get(journal.name, 0))
            for raw in handle:
                write = _parse(journal, raw)
                if write is not None and (controllers or write.service != CONTROLLERS):
                    result.append(write)
    return result


def real_total(summary: dict[str, dict[str, int]]) -> int:
    """Every write of every service in a `summarize` result, dry runs (check mode) apart: they change nothing."""
    return sum(count for verbs in summary.values() for verb, count in verbs.items() if not verb.endswith("(dry-run)"))


def summarize(writes: list[Write]) -> dict[str, dict[str, int]]:
    """Counts by service and verb; dry runs are counted apart under `<verb> (dry-run)`."""
    counts: Counter[tuple[str, str]] = Counter(
        (w.service, f"{w.verb} (dry-run)" if w.dry_run else w.verb) for w in writes
    )
    summary: dict[str, dict[str, int]] = {}
    for (service, verb), count in sorted(counts.items()):
        summary.setdefault(service, {})[verb] = count
    return summary
