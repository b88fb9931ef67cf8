"""Credentials the estate's users would hold, generated once per sandbox and kept in files.

The sandbox inventory reads them with file lookups, as a real inventory reads a vault:
the Git token Argo CD uses for the GitOps repository, and the standby's datasource
password. Tests know them from the same files and scan every run's output for them.
The Redis password is the Redis service's own (it configures the servers with it).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .base import Service

GENERATED = ("git-token", "standby-datasource-password")


class CredentialsService(Service):
    name = "credentials"

    @property
    def directory(self) -> Path:
        return self.layout.root / "credentials"

    def prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        for name in GENERATED:
            path = self.directory / name
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(24))

    def env(self) -> dict[str, str]:
        return {"BESPIN_CREDENTIALS_DIR": str(self.directory)}
