"""The page over HTTPS through nginx in headless Chromium: it renders, works, and breaks no CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import service
from devstack import browser as browser_launcher
from tests.e2e.conftest import Stack
from tests.support import needs

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]

# Collects CSP violations from the first byte on (console messages can be missed before load).
RECORD_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    needs.chromium()
    with sync_playwright() as playwright:
        chromium = browser_launcher.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A page that accepts the stack's self-signed certificate and records errors."""
    context = browser.new_context(ignore_https_errors=True)
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    page.errors = []
    page.failed = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on(
        "console",
        lambda m: (
            page.errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    # Failed loads by URL; the favicon is the browser's own request, not the page's.
    page.on(
        "response",
        lambda r: (
            page.failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    yield page
    context.close()


def test_page_loads_over_https_and_compares_three_faces(
    stack: Stack, page: Any, face_files: dict[str, Path]
) -> None:
    response = page.goto(f"{stack.https_url}/", wait_until="load")
    assert response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert "facesim" in page.title()
    assert page.locator("h1").inner_text() == "facesim"
    assert page.evaluate("window.isSecureContext") is True

    for field, name in {"anchor": "a1", "img1": "a2", "img2": "b1"}.items():
        page.get_by_test_id(f"file-{field}").set_input_files(str(face_files[name]))
    page.locator("#compare").click()
    page.locator("#result").wait_for(state="visible", timeout=60_000)
    assert page.locator("#verdict").inner_text().strip()
    # Crops come back as data: URLs and previews are blob: URLs; both must render under the CSP.
    for field in ("anchor", "img1", "img2"):
        assert page.locator(f"#crop-{field}").evaluate("img => img.naturalWidth") > 0
    assert page.evaluate("window.__csp") == []
    assert page.errors == []
    assert page.failed == []


def test_api_docs_render_over_https_within_the_csp(stack: Stack, page: Any) -> None:
    """Swagger UI's assets are same-origin; its one inline bootstrap is allowed on /docs only."""
    with stack.client() as client:
        html = client.get("/docs").text
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == [], "the service serves Swagger UI's assets itself"
    response = page.goto(f"{stack.https_url}/docs", wait_until="load")
    assert response.status == 200
    page.locator(".swagger-ui .opblock").first.wait_for(state="visible", timeout=20_000)
    assert page.locator(".swagger-ui .opblock-summary-path", has_text="/predict").count() >= 1
    # The stack runs without API_KEYS: no Authorize button, no padlocks.
    assert page.locator(".swagger-ui .auth-wrapper .authorize").count() == 0
    assert page.locator(".swagger-ui .authorization__btn").count() == 0
    assert (
        page.locator(".swagger-ui .info .version").first.inner_text().strip() == service.__version__
    )
    assert page.evaluate("window.__csp") == []
    assert page.errors == []
    assert page.failed == []
