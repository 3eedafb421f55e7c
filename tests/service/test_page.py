"""The web page in real headless Chromium: upload three faces, see crops, verdict and chart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FACES
from tests.support.processes import service_env, service_process

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.model]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(bundled_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server command on the bundled model."""
    env = service_env(
        MODEL_URI=str(bundled_model), MODEL_CACHE_DIR=str(tmp_path_factory.mktemp("cache"))
    )
    with service_process(env) as (base, _):
        yield base


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            "Debian chromium is missing: run `make test` (it installs it) or apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context()
        pg = context.new_page()
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.errors = errors  # type: ignore[attr-defined]
        pg.goto(server + "/")
        yield pg
        browser.close()


def choose(page, anchor: str, img1: str, img2: str) -> None:  # type: ignore[no-untyped-def]
    page.set_input_files("[data-testid=file-anchor]", str(FACES / anchor))
    page.set_input_files("[data-testid=file-img1]", str(FACES / img1))
    page.set_input_files("[data-testid=file-img2]", str(FACES / img2))


def test_upload_three_images_and_see_verdict_and_chart(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert page.title().startswith("facesim")
    assert page.is_disabled("#compare")
    choose(page, "a1.jpg", "b1.jpg", "a2.jpg")
    page.click("#compare")
    page.wait_for_selector("#result:not([hidden])", timeout=30_000)
    assert page.inner_text("#verdict") == "Candidate 2 is the same person as the anchor"
    for field in ("anchor", "img1", "img2"):
        src = page.get_attribute(f"#crop-{field}", "src")
        assert src and src.startswith("data:image/png;base64,")
        assert page.evaluate(f"document.getElementById('crop-{field}').naturalWidth") > 0
    width1 = page.evaluate("parseFloat(document.getElementById('bar-img1').style.width)")
    width2 = page.evaluate("parseFloat(document.getElementById('bar-img2').style.width)")
    assert width2 < width1, "the same person's bar (distance) is shorter"
    assert "best" in (page.get_attribute(".bar-row[data-candidate=img2]", "class") or "")
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_bad_upload_is_shown_on_its_field(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a picture")
    choose(page, "a1.jpg", "a2.jpg", "b1.jpg")
    page.set_input_files("[data-testid=file-img1]", str(text))
    page.click("#compare")
    page.wait_for_selector(".slot[data-field=img1].invalid", timeout=30_000)
    assert "not an image" in page.inner_text(".slot[data-field=img1] .field-error")
