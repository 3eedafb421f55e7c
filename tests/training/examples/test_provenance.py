"""The commit a model card names: the short hash, marked when the tree had uncommitted changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from training.examples.provenance import commit_of


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_a_clean_tree_is_named_by_its_short_hash_and_a_dirty_one_says_so(tmp_path: Path) -> None:
    """Untracked files (the outputs being written) do not count; a changed tracked file does."""
    _git(tmp_path, "init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "add", "code.py")
    _git(tmp_path, "commit", "-qm", "first")
    short = _git(tmp_path, "rev-parse", "--short", "HEAD")
    (tmp_path / "model.h5").write_bytes(b"new output")
    assert commit_of(tmp_path) == short
    (tmp_path / "code.py").write_text("x = 2\n")
    assert commit_of(tmp_path) == f"{short} (uncommitted changes)"


def test_outside_git_the_commit_is_unknown(tmp_path: Path) -> None:
    """A copy without .git still trains; its card says it cannot name the commit."""
    assert commit_of(tmp_path).startswith("unknown")
