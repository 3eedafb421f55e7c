"""make fresh-check: the README's two commands on a new minimal Debian 12 in podman (issue 22).

usage: python scripts/fresh_check.py [--pytest-args "-x tests/service"]
(~25 min; each step's log in .cache/fresh-check/)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from freshcheck.run import main as fresh_check
from rehearse.engine import EngineUnavailable


def main() -> int:
    """Parse the arguments and run the check; plain lines instead of a bar under CI or in a log."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pytest-args", default="", help="passed to make test as PYTEST_ARGS")
    args = parser.parse_args()
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    try:
        return fresh_check(args.pytest_args, plain=ci or not sys.stderr.isatty())
    except EngineUnavailable as exc:
        print(f"fresh-check needs rootful podman: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
