"""The venv is made whole or not at all, and a Python without ensurepip is told what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from service.paths import REPO_ROOT
from toolchain.venv_build import VenvError, build, relocate


def test_a_failed_venv_leaves_nothing_behind(
    tmp_path: Path, python_without_ensurepip: Path
) -> None:
    target = tmp_path / "project" / ".venv"
    with pytest.raises(subprocess.CalledProcessError):
        build(target, python=str(python_without_ensurepip))
    assert list((tmp_path / "project").iterdir()) == []  # neither .venv nor its staging folder


# A python3 whose `-m venv DIR` makes a skeleton venv (a python that accepts anything, a pip script).
FAKE_PYTHON = """#!/bin/sh
for dir; do :; done
mkdir -p "$dir/bin"
printf '#!/bin/sh\\nexit 0\\n' > "$dir/bin/python" && chmod +x "$dir/bin/python"
printf '#!%s/bin/python\\n' "$dir" > "$dir/bin/pip"
echo "home = /usr/bin" > "$dir/pyvenv.cfg"
"""


def test_a_finished_venv_is_renamed_into_place_with_its_scripts_pointing_there(
    tmp_path: Path,
) -> None:
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    target = tmp_path / "project" / ".venv"
    build(target, python=str(python))
    assert sorted(p.name for p in target.parent.iterdir()) == [".venv"]
    assert (target / "bin" / "pip").read_text() == f"#!{target}/bin/python\n"


def test_a_leftover_half_made_venv_is_named_not_used(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    with pytest.raises(VenvError, match=r"rm -rf \.venv"):
        build(tmp_path / ".venv")


def test_scripts_made_in_the_staging_folder_point_at_the_final_one(tmp_path: Path) -> None:
    staging, target = tmp_path / ".venv.partial-x", tmp_path / ".venv"
    (staging / "bin").mkdir(parents=True)
    (staging / "bin" / "pip").write_text(f"#!{staging}/bin/python\nimport pip\n")
    (staging / "bin" / "activate").write_text(f'VIRTUAL_ENV="{staging}"\n')
    (staging / "pyvenv.cfg").write_text(f"command = python -m venv {staging}\n")
    (staging / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    relocate(staging, target)
    assert (staging / "bin" / "pip").read_text() == f"#!{target}/bin/python\nimport pip\n"
    assert (staging / "bin" / "activate").read_text() == f'VIRTUAL_ENV="{target}"\n'
    assert str(staging) not in (staging / "pyvenv.cfg").read_text()
    assert (staging / "bin" / "python").is_symlink()


def test_make_without_ensurepip_says_install_python3_venv_and_makes_no_venv(
    tmp_path: Path, python_without_ensurepip: Path
) -> None:
    venv = tmp_path / "venv"
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            f"VENV={venv}",
            f"PYTHON={python_without_ensurepip}",
            f"{venv}/bin/python",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "MAKEFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "apt-get install python3-venv" in done.stderr
    assert not venv.exists()
