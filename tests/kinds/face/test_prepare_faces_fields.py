"""The images of one request are prepared side by side; each field gets back its own image's crop."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from service.config import Settings
from service.kinds.face import prepare as pipeline
from service.metrics import Metrics


def test_each_field_gets_the_crop_of_its_own_image(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_prepare(data: bytes, field: str, model: Any, limits: Any, **_: Any) -> Any:
        # The first field finishes last: results arrive out of order.
        time.sleep({b"A": 0.06, b"B": 0.03, b"C": 0.0}[data])
        return ("crop of", data)

    monkeypatch.setattr(pipeline, "prepare_one", fake_prepare)
    images = {"anchor": b"A", "img1": b"B", "img2": b"C"}
    with ThreadPoolExecutor(3) as pool:
        out: dict[str, Any] = asyncio.run(
            pipeline.prepare_faces(images, None, Settings(), Metrics(), pool)
        )  # type: ignore[arg-type]
    assert out == {name: ("crop of", data) for name, data in images.items()}
