"""Chromium for the page's tests and the README screenshot: found, and launched the same way."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

# Debian's package first (what CI and the tests were written against), then what other systems have.
CANDIDATES = (
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
# Headless on a machine without a network beyond loopback: no background fetches, no sandbox as root.
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str | None:
    """The browser to drive: $CHROMIUM when set, else the first of CANDIDATES that exists."""
    override = os.environ.get("CHROMIUM")
    for candidate in (override,) if override else CANDIDATES:
        found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if found:
            return found
    return None


def launch(playwright: Any) -> Any:
    """A headless Chromium from a sync_playwright() handle; RuntimeError naming what to install."""
    path = chromium_path()
    if path is None:
        raise RuntimeError(
            "no Chromium found (scripts/install_system_deps.sh installs Debian's chromium; "
            "elsewhere set CHROMIUM=/path/to/chromium or chrome)"
        )
    return playwright.chromium.launch(executable_path=path, headless=True, args=list(ARGS))
