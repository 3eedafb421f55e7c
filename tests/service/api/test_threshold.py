"""Through the API, a distance exactly at the threshold is "same person"; just above it is not."""

from __future__ import annotations

import math
from pathlib import Path

from tests.conftest import ClientFactory


def test_distance_equal_to_the_threshold_is_the_same_person(
    make_client: ClientFactory, tiny_model: Path, faces: dict[str, bytes]
) -> None:
    files = {
        "anchor": ("a1.jpg", faces["a1"], "image/jpeg"),
        "img1": ("a2.jpg", faces["a2"], "image/jpeg"),
        "img2": ("b1.jpg", faces["b1"], "image/jpeg"),
    }
    pair = {"img1": files["anchor"], "img2": files["img1"]}
    with make_client(model_uri=str(tiny_model)) as c:
        distance = c.post("/predict", files=files).json()["scores"]["img1"]["distance"]
    assert distance > 0
    for threshold, same in ((distance, True), (math.nextafter(distance, 0.0), False)):
        with make_client(model_uri=str(tiny_model), distance_threshold=threshold) as c:
            predicted = c.post("/predict", files=files).json()
            verified = c.post("/verify", files=pair).json()
        assert predicted["threshold"] == threshold
        score = predicted["scores"]["img1"]
        assert (score["distance"], score["same_person"]) == (distance, same)
        assert (verified["distance"], verified["same_person"]) == (distance, same)
