"""Which code a model was trained by: the git commit, and whether the tree had uncommitted changes."""

from __future__ import annotations

import subprocess
from pathlib import Path


def commit_of(repo: Path) -> str:
    """Short hash of HEAD, plus "(uncommitted changes)" when tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        short = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{short} (uncommitted changes)" if dirty else short
