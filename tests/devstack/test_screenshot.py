"""`make screenshot` regenerates the README's picture from the real page."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from devstack import screenshot
from tests.support import needs

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.model, pytest.mark.slow]


def test_screenshot_shows_the_compared_page(tmp_path: Path, bundled_model: Path) -> None:
    needs.chromium()
    out = screenshot.take(tmp_path / "page.png", str(bundled_model))
    with Image.open(out) as picture:
        width, height = picture.size
    assert width == screenshot.VIEWPORT["width"]
    # The whole page with the result under the three slots is taller than the window.
    assert height > screenshot.VIEWPORT["height"]
