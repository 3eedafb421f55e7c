"""Refuse, with the reason, to create the venv on a machine its pinned wheels do not exist for.

usage: python3 scripts/check_platform.py   (the Makefile runs it before `python -m venv`)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.platforms import problems, this_machine


def main() -> int:
    """Print each problem; exit 1 if there is any."""
    found = problems(this_machine())
    for problem in found:
        print(f"facesim: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
