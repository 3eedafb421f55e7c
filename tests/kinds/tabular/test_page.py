"""The form page in real headless Chromium (census model): fields from its manifest, errors beside them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.servers import service_env, service_process
from service.paths import REPO_ROOT
from tests.service.test_page import DESKTOP, chromium, open_page

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
__all__ = ["chromium"]  # the module's Chromium, shared with the face page's tests

CENSUS = REPO_ROOT / "models" / "census-income-1.0.0.h5"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server command on the example census model."""
    env = service_env(MODEL_URI=str(CENSUS), MODEL_CACHE_DIR=str(tmp_path_factory.mktemp("c")))
    with service_process(env) as (base, _):
        yield base


@pytest.fixture
def desktop(chromium: Any, server: str) -> Iterator[Any]:
    page = open_page(chromium, server, DESKTOP)
    page.locator("#features .feature").first.wait_for(timeout=30_000)
    yield page
    page.context.close()


def test_the_form_has_every_feature_filled_with_its_example(desktop: Any) -> None:
    manifest = json.loads(CENSUS.with_suffix(".json").read_text())
    names = desktop.locator("#features .feature").evaluate_all(
        "els => els.map(e => e.dataset.feature)"
    )
    assert names == [f["name"] for f in manifest["features"]]
    for feature in manifest["features"]:
        value = desktop.locator(f"#f-{feature['name']}").input_value()
        assert value == str(feature["example"]).removesuffix(".0"), feature["name"]
    assert desktop.locator("#f-workclass option").count() == len(
        manifest["features"][5]["categories"]
    )


def test_classify_shows_the_label_and_a_bar_per_label(desktop: Any) -> None:
    desktop.locator("#classify").click()
    desktop.locator("#result").wait_for(state="visible", timeout=60_000)
    verdict = desktop.locator("#verdict").inner_text()
    assert verdict.split(" (")[0] in ("<=50K", ">50K")
    assert desktop.locator("#chart .bar-row").count() == 2
    assert desktop.errors == []


def test_an_out_of_range_value_is_explained_beside_its_field(desktop: Any) -> None:
    desktop.locator("#f-age").fill("200")
    desktop.locator("#classify").click()
    error = desktop.locator('[data-feature="age"] .field-error')
    error.wait_for(state="visible", timeout=30_000)
    assert "less than or equal to 90" in error.inner_text()
    assert desktop.locator("#status").inner_text() == "Please change age."
    assert desktop.locator("#result").is_hidden()
