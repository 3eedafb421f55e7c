"""Create the virtual environment all at once, so a failed or interrupted attempt leaves no .venv.

`python -m venv` writes bin/python before it runs ensurepip; when ensurepip failed (Debian without
python3-venv) the half-made .venv had bin/python, and make took it as done (issue 22). Here the venv
is made beside the target, pip upgraded in it, and only then renamed into place. Standard library
only: this runs on the system Python, before any dependency exists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class VenvError(RuntimeError):
    """The venv could not be made; the message says what to do."""


def build(target: Path, *, python: str = sys.executable) -> None:
    """Make a venv with an up-to-date pip at `target`, or leave nothing there."""
    target = target.absolute()
    if (target / "bin" / "python").exists():
        return
    if target.exists() or target.is_symlink():
        raise VenvError(
            f"{target} exists but is no complete virtual environment (no bin/python): "
            f"remove it (rm -rf {target.name}) and run make again"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=target.parent))
    try:
        make = [python, "-m", "venv", "--prompt", target.name, str(staging)]
        subprocess.run(make, check=True)
        staged_python = str(staging / "bin" / "python")
        pip = [staged_python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"]
        subprocess.run(pip, check=True)
        relocate(staging, target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def relocate(staging: Path, target: Path) -> None:
    """Point the scripts' shebangs, the activate scripts and pyvenv.cfg at the final path."""
    old, new = str(staging).encode(), str(target).encode()
    candidates = [staging / "pyvenv.cfg", *(staging / "bin").iterdir()]
    for path in candidates:
        if path.is_symlink() or not path.is_file():
            continue
        content = path.read_bytes()
        if old in content:
            path.write_bytes(content.replace(old, new))
