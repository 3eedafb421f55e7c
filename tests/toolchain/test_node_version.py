"""A Node.js older than 22 is refused with the reason and the fix; 22 and newer pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.paths import REPO_ROOT
from tests.support.make_plan import make_plan
from toolchain.node_version import major, problem


@pytest.mark.parametrize("version", ["v22.0.0", "v24.19.0\n", "v25.1.2"])
def test_node_22_and_newer_pass(version: str) -> None:
    assert problem("/usr/bin/node", version) is None


def test_debian_12s_node_18_is_refused_naming_version_and_fix() -> None:
    found = problem("/usr/bin/node", "v18.19.0\n")
    assert found is not None
    assert "v18.19.0" in found and "22+" in found and "make dev-deps" in found


def test_no_node_and_an_unreadable_answer_are_refused() -> None:
    assert "no `node` is on PATH" in (problem(None, None) or "")
    assert "does not answer" in (problem("/opt/node", None) or "")
    assert "not a Node.js version" in (problem("/opt/node", "hello") or "")


def test_major_reads_nodes_own_format() -> None:
    assert major("v20.20.2") == 20
    with pytest.raises(ValueError):
        major("20")


def test_the_check_script_refuses_the_node_on_path(tmp_path: Path) -> None:
    fake = tmp_path / "node"
    fake.write_text("#!/bin/sh\necho v18.19.0\n")
    fake.chmod(0o755)
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "check_node.py")],
        env={**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"Node.js v18.19.0 at {fake} is too old" in done.stderr


def test_make_checks_node_before_npm_ci_with_the_venvs_node_first_on_path() -> None:
    plan = make_plan("-B", "node-deps")
    check = next(i for i, line in enumerate(plan) if "check_node.py" in line)
    npm = next(i for i, line in enumerate(plan) if "npm ci" in line)
    assert check < npm
    assert all(f'PATH="{REPO_ROOT}/.venv/bin:' in plan[i] for i in (check, npm)), plan
