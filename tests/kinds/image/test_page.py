"""The drawing page in real headless Chromium on the digits model: draw or upload, see the label."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.servers import service_env, service_process
from service.paths import REPO_ROOT
from tests.service.test_page import DESKTOP, PHONE, chromium, open_page

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
__all__ = ["chromium"]  # the module's Chromium, shared with the face page's tests

DIGITS = REPO_ROOT / "models" / "digits-cnn-1.0.0.h5"
PAPER_SEVEN = REPO_ROOT / "tests" / "data" / "examples" / "digit-paper-7.jpg"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server command on the example digits model."""
    env = service_env(MODEL_URI=str(DIGITS), MODEL_CACHE_DIR=str(tmp_path_factory.mktemp("c")))
    with service_process(env) as (base, _):
        yield base


@pytest.fixture
def desktop(chromium: Any, server: str) -> Iterator[Any]:
    page = open_page(chromium, server, DESKTOP)
    yield page
    page.context.close()


def draw(page: Any, points: list[tuple[float, float]]) -> None:
    """One stroke with the mouse through points given as fractions of the canvas."""
    box = page.locator("#canvas").bounding_box()
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def classify(page: Any) -> str:
    page.locator("#classify").click()
    page.locator("#result").wait_for(state="visible", timeout=60_000)
    return str(page.locator("#verdict").inner_text())


def test_a_drawn_one_is_read_as_a_one_with_a_bar_per_label(desktop: Any, tmp_path: Path) -> None:
    assert desktop.locator("#classify").is_disabled()  # nothing drawn yet
    draw(desktop, [(0.5, 0.15), (0.48, 0.5), (0.46, 0.85)])
    verdict = classify(desktop)
    desktop.screenshot(path=str(tmp_path / "drawn-one.png"))
    assert verdict.startswith("It is a 1"), verdict
    assert desktop.locator("#chart .bar-row").count() == 10
    assert desktop.locator("#chart .bar-row.best").get_attribute("data-label") == "1"
    assert desktop.locator("#model-input").get_attribute("src").startswith("data:image/png")
    assert desktop.errors == []


def test_an_uploaded_photo_of_a_seven_is_read_as_a_seven(desktop: Any) -> None:
    desktop.get_by_test_id("file-image").set_input_files(str(PAPER_SEVEN))
    assert classify(desktop).startswith("It is a 7")
    assert desktop.errors == []


def test_clear_empties_the_canvas_and_disables_classify(desktop: Any) -> None:
    draw(desktop, [(0.3, 0.3), (0.7, 0.7)])
    assert desktop.locator("#classify").is_enabled()
    desktop.locator("#clear").click()
    assert desktop.locator("#classify").is_disabled()


def test_on_a_phone_the_canvas_fits_the_screen(chromium: Any, server: str) -> None:
    page = open_page(chromium, server, PHONE)
    box = page.locator("#canvas").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.context.close()
