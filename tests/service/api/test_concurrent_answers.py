"""Different requests sent at once through the app: each gets the answer it gets when sent alone."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.model import KerasModel
from tests.conftest import ClientFactory

# Six different triplets of the sample faces: every request has its own distances.
TRIPLETS = [
    ("a1", "a2", "b1"),
    ("a2", "b1", "c1"),
    ("b1", "c1", "a3"),
    ("c1", "a3", "b2"),
    ("a3", "b2", "a1"),
    ("b2", "a1", "a2"),
]


def scores(client: TestClient, faces: dict[str, bytes], names: tuple[str, ...]) -> list[float]:
    files = {
        field: (f"{name}.jpg", faces[name], "image/jpeg")
        for field, name in zip(("anchor", "img1", "img2"), names, strict=True)
    }
    response = client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    return [body["scores"][c]["distance"] for c in ("img1", "img2")]


def biggest_batch_sum(client: TestClient) -> tuple[float, float]:
    """(triplets, forward passes) counted by the batch-size histogram so far."""
    registry = client.app.state.metrics.registry  # type: ignore[attr-defined]
    total = registry.get_sample_value("facesim_inference_batch_size_sum") or 0.0
    passes = registry.get_sample_value("facesim_inference_batch_size_count") or 0.0
    return total, passes


def test_each_request_in_a_batch_gets_its_own_distances(
    make_client: ClientFactory,
    tiny_model: Path,
    faces: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A forward pass that can be slowed down: requests arriving while it runs share the next batch.
    slow_down = threading.Event()
    forward = KerasModel.predict

    def slowed(self: KerasModel, inputs: Any) -> Any:
        if slow_down.is_set():
            time.sleep(0.15)
        return forward(self, inputs)

    monkeypatch.setattr(KerasModel, "predict", slowed)
    with make_client(model_uri=str(tiny_model)) as client:
        check_batched_answers(client, faces, slow_down)


def check_batched_answers(
    client: TestClient, faces: dict[str, bytes], slow_down: threading.Event
) -> None:
    """Each triplet alone, then all twice at once with a slow forward pass: the same answers."""
    alone = [scores(client, faces, t) for t in TRIPLETS]
    for i, mine in enumerate(alone):  # no request's answer could pass for another's
        assert all(max(abs(x - y) for x, y in zip(mine, other, strict=True)) > 1e-3
                   for other in alone[i + 1 :]), mine  # fmt: skip

    slow_down.set()
    before = biggest_batch_sum(client)
    with ThreadPoolExecutor(len(TRIPLETS)) as pool:
        together = list(pool.map(lambda t: scores(client, faces, t), TRIPLETS * 2))
    after = biggest_batch_sum(client)
    triplets, passes = after[0] - before[0], after[1] - before[1]
    assert triplets == 2 * len(TRIPLETS) and passes < triplets, "some requests shared a batch"
    for sent, answer in zip(TRIPLETS * 2, together, strict=True):
        assert answer == pytest.approx(alone[TRIPLETS.index(sent)], abs=1e-5), sent
