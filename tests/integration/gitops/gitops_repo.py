"""The sandbox's GitOps repository as CI sees it: clone, change, commit, push."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from bespin_sandbox.layout import Layout
from bespin_sandbox.services.git import REFERENCE_REPOSITORY, GitService


def service() -> GitService:
    return GitService(Layout.from_env())


def repo_url(name: str = REFERENCE_REPOSITORY) -> str:
    return service().clone_url(name)


def commit(change: Callable[[Path], None], message: str, name: str = REFERENCE_REPOSITORY) -> str:
    """Apply `change` to a fresh clone's work tree, commit and push it; returns the new commit."""
    git_service = service()
    with tempfile.TemporaryDirectory(prefix="bespin-ci-") as work:
        git_service.git_command(Path(work))("clone", "--quiet", git_service.clone_url(name), "repo")
        tree = Path(work) / "repo"
        git = git_service.git_command(tree)
        change(tree)
        git("add", "--all")
        git("commit", "--quiet", "--allow-empty", "-m", message)
        git("push", "--quiet", "origin", "HEAD:refs/heads/main")
        return git("rev-parse", "HEAD").strip()


def replace_in(path: str, old: str, new: str) -> Callable[[Path], None]:
    """A change: the first `old` replaced by `new` in one file (which must hold it)."""

    def change(tree: Path) -> None:
        target = tree / path
        text = target.read_text()
        assert old in text, f"{path} has no {old!r}"
        target.write_text(text.replace(old, new, 1))

    return change


def write_files(files: dict[str, str]) -> Callable[[Path], None]:
    def change(tree: Path) -> None:
        for path, text in files.items():
            (tree / path).parent.mkdir(parents=True, exist_ok=True)
            (tree / path).write_text(text)

    return change


def remove(path: str) -> Callable[[Path], None]:
    def change(tree: Path) -> None:
        (tree / path).unlink()

    return change
