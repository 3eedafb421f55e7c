"""A system Python as Debian 12 has it without python3-venv: no ensurepip."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# What Debian's own venv does then: bin/python made, then this, exit 1 (the half-made .venv of issue 22).
DEBIAN_VENV = """if [ "$1" = -m ] && [ "$2" = venv ]; then
  shift 2
  "{python}" -m venv --without-pip "$@" || exit 1
  echo "The virtual environment was not created successfully because ensurepip is not available." >&2
  exit 1
fi
"""


@pytest.fixture
def python_without_ensurepip(tmp_path: Path) -> Path:
    """A `python3` whose ensurepip is missing, as on Debian/Ubuntu before python3-venv is installed."""
    hide = tmp_path / "hide-ensurepip"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['ensurepip'] = None\n")
    wrapper = tmp_path / "bin" / "python3"
    wrapper.parent.mkdir()
    venv = DEBIAN_VENV.format(python=sys.executable)
    wrapper.write_text(f'#!/bin/sh\n{venv}PYTHONPATH="{hide}" exec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper
