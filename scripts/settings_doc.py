"""Regenerate the settings table of docs/SETTINGS.md from service.config.Settings (logic in service/).

usage: python scripts/settings_doc.py [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service import settings_doc


def main() -> int:
    """Write the table, or with --check only say whether the committed one is current."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is out of date")
    args = parser.parse_args()
    page = settings_doc.PAGE
    if args.check:
        current = page.read_text() == settings_doc.render(page.read_text())
        print(f"{page.name}: {'up to date' if current else 'out of date'}")
        return 0 if current else 1
    changed = settings_doc.update(page)
    print(f"{page.name}: {'table rewritten' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
