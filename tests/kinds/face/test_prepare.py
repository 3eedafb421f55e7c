"""Decoding and cropping run on the service's own pool, sized from the CPUs the process may use."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from service.config import Settings
from service.cpus import available_cpus
from service.kinds.face import prepare as pipeline
from service.kinds.face.faces import Box
from service.kinds.face.kind import FaceKind
from service.metrics import Metrics
from service.runtime import Runtime


def test_the_pool_has_one_thread_per_usable_cpu_unless_set() -> None:
    assert Settings().preprocess_workers == available_cpus()
    assert (
        Runtime(Settings(), Metrics(), FaceKind()).preprocess_pool._max_workers == available_cpus()
    )
    runtime = Runtime(Settings(preprocess_threads=3), Metrics(), FaceKind())
    assert runtime.settings.preprocess_workers == 3
    assert runtime.preprocess_pool._max_workers == 3


def test_every_image_is_prepared_on_the_given_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}

    def fake_prepare(data: bytes, field: str, model: Any, limits: Any, **_: Any) -> Any:
        seen[field] = threading.current_thread().name
        return field

    monkeypatch.setattr(pipeline, "prepare_one", fake_prepare)
    pool = ThreadPoolExecutor(2, thread_name_prefix="preprocess")
    images = {"anchor": b"a", "img1": b"b", "img2": b"c"}
    out = asyncio.run(pipeline.prepare_faces(images, None, Settings(), Metrics(), pool))  # type: ignore[arg-type]
    pool.shutdown()
    assert list(out) == ["anchor", "img1", "img2"]
    assert all(name.startswith("preprocess") for name in seen.values()), seen


def test_boxes_found_on_a_reduced_decode_are_reported_in_upload_pixels() -> None:
    box = pipeline.in_upload_pixels(Box(x=710, y=418, w=233, h=233), 2.0)
    assert box.model_dump() == {"x": 1420, "y": 836, "width": 466, "height": 466}
    assert pipeline.in_upload_pixels(Box(3, 4, 5, 6), 1.0).model_dump() == {
        "x": 3, "y": 4, "width": 5, "height": 6
    }  # fmt: skip
