"""The git server, and the platform's reference GitOps repository pushed to it.

`git http-backend` behind basic auth (bespin_sandbox.gitserver) serves every bare
repository under ``<sandbox>/git``. Seeding pushes the project's ``gitops/``
folder as ``petclinic/gitops``, with the placeholder repository URL its
Applications carry replaced by this server's, over HTTP as any client would.
The reference commit has fixed dates, so the same files always give the same
commit; ``reset`` puts the repository back to it, whatever tests pushed since.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import gitserver
from ..layout import LOOPBACK, REPO_ROOT, Layout
from ..processes import ProcessError
from ..topology import Topology
from .base import Component, Service, http_ok

REFERENCE_SOURCE = REPO_ROOT / "gitops"
REFERENCE_REPOSITORY = "petclinic/gitops"
# What the reference repository's Applications point at until a user (or the sandbox) says where it lives.
PLACEHOLDER_URL = "https://git.example.com/petclinic/gitops.git"
REFERENCE_DATE = "2026-01-01T00:00:00Z"
STATE = ".reference.json"


class GitService(Service):
    name = "git"

    def __init__(self, layout: Layout, source: Path = REFERENCE_SOURCE):
        super().__init__(layout)
        self.source = source
        self.url = f"http://{LOOPBACK}:{layout.git_port}"

    @property
    def directory(self) -> Path:
        return self.layout.root / "git"

    @property
    def token_file(self) -> Path:
        return self.layout.root / "credentials" / "git-token"

    def clone_url(self, name: str) -> str:
        return f"{self.url}/{name.removesuffix('.git')}.git"

    # Service ----------------------------------------------------------------------

    def prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def components(self) -> list[Component]:
        return [
            Component(
                "git-server",
                [
                    sys.executable,
                    "-m",
                    "bespin_sandbox.gitserver",
                    f"--root={self.directory}",
                    f"--port={self.layout.git_port}",
                    f"--bind={LOOPBACK}",
                    f"--token-file={self.token_file}",
                ],
                lambda: http_ok(f"{self.url}{gitserver.HEALTH_PATH}"),
                self.url,
            )
        ]

    def seed(self, topology: Topology, log: Callable[[str], None]) -> None:
        pushed = (self.directory / f"{REFERENCE_REPOSITORY}.git" / "HEAD").exists() and self._recorded()
        if self.source.is_dir() and pushed != self._reference_digest():
            self.push_reference(fresh=False)
            log(f"git: {REFERENCE_REPOSITORY} pushed from {self.source.relative_to(REPO_ROOT)}/")

    def reset(self, topology: Topology) -> int:
        """The reference repository back to its reference commit alone; other repositories are removed."""
        removed = 0
        for path in sorted(self.directory.rglob("*.git")):
            if path.relative_to(self.directory).as_posix() != f"{REFERENCE_REPOSITORY}.git":
                shutil.rmtree(path)
                removed += 1
        if self.source.is_dir():
            self.push_reference(fresh=True)
        return removed

    def env(self) -> dict[str, str]:
        return {"BESPIN_GIT_URL": self.url}

    # The reference repository -----------------------------------------------------

    def push_reference(self, fresh: bool) -> str:
        """Push gitops/ as one commit: the whole history when `fresh`, else on top of what is there."""
        if fresh:
            gitserver.delete_repository(self.directory, REFERENCE_REPOSITORY)
        gitserver.create_repository(self.directory, REFERENCE_REPOSITORY)
        url = self.clone_url(REFERENCE_REPOSITORY)
        with tempfile.TemporaryDirectory(prefix="bespin-gitops-") as work:
            tree = Path(work) / "tree"
            shutil.copytree(self.source, tree)
            for path in tree.rglob("*"):
                if path.is_file() and PLACEHOLDER_URL.encode() in path.read_bytes():
                    path.write_text(path.read_text().replace(PLACEHOLDER_URL, url))
            git = self.git_command(tree)
            git("init", "--quiet", "--initial-branch=main")
            remote = git("ls-remote", url, "refs/heads/main").split()
            if remote:
                git("fetch", "--quiet", url, "main")
                git("reset", "--soft", "FETCH_HEAD")
            git("add", "--all")
            if remote and not git("status", "--porcelain").strip():
                commit = remote[0]  # the same files are there already
            else:
                message = "Reference GitOps repository" if not remote else "Reference GitOps repository, updated"
                git("commit", "--quiet", "-m", message)
                git("push", "--quiet", url, "HEAD:refs/heads/main")
                commit = git("rev-parse", "HEAD").strip()
        (self.directory / STATE).write_text(json.dumps({"digest": self._reference_digest(), "commit": commit}))
        return commit

    def git_command(self, work_tree: Path) -> Callable[..., str]:
        """`git` in a work tree, as the sandbox's committer, authenticated to this server."""
        credentials = base64.b64encode(f"{gitserver.USER}:{self.token_file.read_text().strip()}".encode()).decode()
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "bespin sandbox",
            "GIT_AUTHOR_EMAIL": "sandbox@bespin.invalid",
            "GIT_COMMITTER_NAME": "bespin sandbox",
            "GIT_COMMITTER_EMAIL": "sandbox@bespin.invalid",
            "GIT_AUTHOR_DATE": REFERENCE_DATE,
            "GIT_COMMITTER_DATE": REFERENCE_DATE,
            # In the environment, not on the command line, where `ps` would show the token.
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{self.url}/.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {credentials}",
            "GIT_TERMINAL_PROMPT": "0",
        }

        def run(*args: str) -> str:
            result = subprocess.run(["git", *args], cwd=work_tree, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise ProcessError(f"git {args[0]} failed: {result.stderr.strip()}")
            return result.stdout

        return run

    def _reference_digest(self) -> str:
        digest = hashlib.sha256(self.url.encode())
        for path in sorted(p for p in self.source.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(self.source)).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def _recorded(self) -> str | None:
        try:
            return json.loads((self.directory / STATE).read_text())["digest"]
        except (OSError, ValueError, KeyError):
            return None
