"""`make screenshot`: regenerate docs/page.png, the README's picture of the page (logic in devstack/).

usage: python scripts/screenshot.py [--out docs/page.png] [--model models/<name>-<version>.h5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack import screenshot


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=screenshot.OUTPUT)
    parser.add_argument("--model", help="MODEL_URI to serve (default: the bundled model)")
    args = parser.parse_args(argv)
    print(screenshot.take(args.out, args.model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
