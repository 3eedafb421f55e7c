"""Refuse, with the reason, a Node.js older than 22 (the Makefile runs it before `npm ci`).

usage: python3 scripts/check_node.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolchain.node_version import node_on_path, problem


def main() -> int:
    """Print the problem and exit 1, or exit 0 when the node on PATH will do."""
    found = problem(*node_on_path())
    if found is not None:
        print(f"facesim: {found}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
