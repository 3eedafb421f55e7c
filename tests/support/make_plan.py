"""What make would run (make -n), read without running it, for tests of the Makefile's wiring."""

from __future__ import annotations

import os
import subprocess

from service.paths import REPO_ROOT


def make_plan(*args: str) -> list[str]:
    """The commands `make -n args...` prints in the repository, one per line (no outer MAKEFLAGS)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    argv = ["make", "-n", "--no-print-directory", *args]
    return subprocess.check_output(argv, cwd=REPO_ROOT, env=env, text=True, timeout=60).splitlines()
