"""Different requests sent at once through the app: each gets the answer it gets when sent alone."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.model import SiameseModel

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
    client: TestClient, faces: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = [scores(client, faces, t) for t in TRIPLETS]
    for i, mine in enumerate(alone):  # no request's answer could pass for another's
        assert all(max(abs(x - y) for x, y in zip(mine, other, strict=True)) > 1e-3
                   for other in alone[i + 1 :]), mine  # fmt: skip

    # A slower forward pass: the requests that arrive while it runs are fused into one batch.
    forward = SiameseModel.distances

    def slow(self: SiameseModel, *arrays: Any) -> Any:
        time.sleep(0.15)
        return forward(self, *arrays)

    monkeypatch.setattr(SiameseModel, "distances", slow)
    before = biggest_batch_sum(client)
    with ThreadPoolExecutor(len(TRIPLETS)) as pool:
        together = list(pool.map(lambda t: scores(client, faces, t), TRIPLETS * 2))
    after = biggest_batch_sum(client)
    triplets, passes = after[0] - before[0], after[1] - before[1]
    assert triplets == 2 * len(TRIPLETS) and passes < triplets, "some requests shared a batch"
    for sent, answer in zip(TRIPLETS * 2, together, strict=True):
        assert answer == pytest.approx(alone[TRIPLETS.index(sent)], abs=1e-5), sent
