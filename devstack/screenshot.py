"""The README's picture of the page, taken from the real page: `python -m service` on the bundled
model, the three sample faces chosen and compared in headless Chromium, the page saved as PNG."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from devstack import browser
from devstack.servers import service_env, service_process
from service.paths import REPO_ROOT
from service.paths import SAMPLE_FACES as FACES

OUTPUT = REPO_ROOT / "docs" / "page.png"
# Anchor, candidate 1 (another person), candidate 2 (the anchor's person): the README's example.
CHOSEN = {"anchor": "a2.jpg", "img1": "b1.jpg", "img2": "a1.jpg"}
VIEWPORT = {"width": 1000, "height": 900}


def capture_in(chromium: Any, base_url: str, out: Path) -> Path:
    """Compare the sample faces on the page at base_url in a Playwright browser; save it to `out`."""
    context = chromium.new_context(viewport=VIEWPORT, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(base_url + "/")
        for field, name in CHOSEN.items():
            page.set_input_files(f"[data-testid=file-{field}]", str(FACES / name))
        page.wait_for_selector("#compare:not([disabled])")
        page.click("#compare")
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(400)  # the bars' width transition
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
    finally:
        context.close()
    return out


def take(out: Path = OUTPUT, model: str | None = None) -> Path:
    """Start the service on a free port, capture the page in Chromium, stop both."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="facesim-screenshot-") as tmp:
        env = service_env(LOG_LEVEL="warning", MODEL_CACHE_DIR=str(Path(tmp) / "cache"))
        if model:
            env["MODEL_URI"] = model
        with (
            service_process(env, log=Path(tmp) / "service.log") as (base, _),
            sync_playwright() as pw,
        ):
            chromium = browser.launch(pw)
            try:
                return capture_in(chromium, base, out)
            finally:
                chromium.close()
