"""What a test area needs from the machine. Missing here: skipped, with the reason. Under CI
(`CI=true`, as GitHub Actions and most CI systems set it) the same gap fails the test instead, so a
whole area can never pass by being skipped."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from devstack import browser
from devstack.nginx import nginx_binary
from service.checksums import sha256_of
from service.paths import EXAMPLES_DIR, LFW_DIR, REPO_ROOT


def in_ci() -> bool:
    """CI=true (or 1/yes): missing prerequisites are failures, not skips."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip with the reason; fail with it under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this would hide a whole test area, so it fails)")
    pytest.skip(reason, allow_module_level=True)


def not_here(reason: str) -> NoReturn:
    """Skip with the reason, under CI too: for what some CI machines cannot host at all.

    Only the container rehearsal: podman cannot run inside an unprivileged CI container (the
    GitHub Actions job's), and issue 14 allows the skip there; everywhere else it runs.
    """
    pytest.skip(reason, allow_module_level=True)


def chromium() -> str:
    """The browser the page tests drive."""
    found = browser.chromium_path()
    if found is None:
        unavailable("no Chromium (scripts/install_system_deps.sh; or set CHROMIUM=/path)")
    return found


def nginx() -> str:
    """The nginx binary the TLS-front tests start."""
    try:
        return nginx_binary()
    except RuntimeError as exc:
        unavailable(str(exc))


def linux_proc() -> None:
    """Tests that read the kernel's per-process counters (/proc) run on Linux only."""
    if not sys.platform.startswith("linux"):
        unavailable(f"reads Linux's /proc, which {sys.platform} does not have")


def npx() -> str:
    """Node's npx, for the pinned CDK CLI and newman."""
    found = shutil.which("npx")
    if found is None:
        unavailable("npx (Node.js) is not installed")
    return found


def module(name: str) -> None:
    """An importable Python module (e.g. keras, which comes with TensorFlow)."""
    if importlib.util.find_spec(name) is None:
        unavailable(f"the Python module {name} is not installed")


def repo_file(relative: str) -> Path:
    """A file the repository is expected to contain."""
    path = REPO_ROOT / relative
    if not path.is_file():
        unavailable(f"{relative} is not in the repository")
    return path


@functools.cache
def _lfw_problem(directory: Path) -> str | None:
    """Why LFW at `directory` is unusable (missing, or not the files SHA256SUMS lists), or None."""
    sums = directory / "SHA256SUMS"
    if not sums.is_file():
        return f"LFW is not at {directory} (no SHA256SUMS; see its README to download it)"
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        path = directory / name.strip().lstrip("*")
        if not path.is_file():
            return f"LFW at {directory} lacks {path.name}"
        if sha256_of(path) != expected.lower():
            return f"LFW at {directory}: {path.name} does not match SHA256SUMS"
    return None


def lfw(directory: Path = LFW_DIR) -> Path:
    """LFW as SHA256SUMS describes it: missing is a skip (a failure under CI), corrupt a failure."""
    problem = _lfw_problem(directory)
    if problem is not None and "does not match" in problem:
        pytest.fail(problem)
    if problem is not None:
        unavailable(problem)
    return directory


def example_data(directory: Path = EXAMPLES_DIR) -> Path:
    """The example kinds' data sets (../shared/data/examples): missing is a skip (a failure under CI)."""
    if not (directory / "README.md").is_file():
        unavailable(f"the example data sets are not at {directory} (see the README beside LFW)")
    return directory
