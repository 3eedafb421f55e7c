"""Create the project's venv atomically (the Makefile runs it after scripts/check_platform.py).

usage: python3 scripts/make_venv.py .venv
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolchain.venv_build import VenvError, build


def main() -> int:
    """Build the venv named on the command line; a one-line reason and exit 1 if it fails."""
    try:
        build(Path(sys.argv[1]))
    except (VenvError, subprocess.CalledProcessError) as exc:
        print(f"facesim: no virtual environment was made: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
