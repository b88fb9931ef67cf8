"""The stand-in's resources, kept in one JSON file under the sandbox folder.

Every request reads and writes the file under an exclusive lock, so the server
(many threads) and ``sandbox reset`` (another process) always see one
consistent state and the server holds nothing that a restart would lose. The
estate is small (tens of resources): a whole-file rewrite costs well under a
millisecond.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_THREADS = threading.Lock()  # flock does not exclude threads that share one open file description


class Store:
    def __init__(self, path: Path):
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    @contextmanager
    def transaction(self) -> Iterator[State]:
        """The state, locked; written back when the block ends without an exception."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _THREADS, open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = State(json.loads(self.path.read_text()) if self.path.exists() else {})
            yield state
            if state.dirty:
                staging = self.path.with_name(self.path.name + ".tmp")
                staging.write_text(json.dumps(state.document, indent=1))
                os.replace(staging, self.path)


class State:
    """Resources by lower-cased ARM id (ids are case-insensitive), in creation order."""

    def __init__(self, document: dict):
        self.document = document
        document.setdefault("resources", {})
        document.setdefault("seeded", [])
        self.dirty = False

    @property
    def resources(self) -> dict[str, dict]:
        return self.document["resources"]

    def get(self, resource_id: str) -> dict | None:
        return self.resources.get(resource_id.lower())

    def put(self, resource: dict) -> None:
        self.resources[resource["id"].lower()] = resource
        self.dirty = True

    def delete(self, resource_id: str) -> dict | None:
        self.dirty = True
        return self.resources.pop(resource_id.lower(), None)

    def under(self, prefix: str) -> list[dict]:
        """Resources whose id starts with ``prefix/`` (a resource group's, say)."""
        prefix = prefix.lower().rstrip("/") + "/"
        return [r for key, r in self.resources.items() if key.startswith(prefix)]

    def mark_seeded(self) -> None:
        self.document["seeded"] = list(self.resources)
        self.dirty = True

    def reset(self) -> int:
        """Remove everything created after seeding; returns how many resources went."""
        keep = set(self.document["seeded"])
        removed = [key for key in self.resources if key not in keep]
        for key in removed:
            del self.resources[key]
        self.dirty = True
        return len(removed)
