"""A model on dlib's recipe answering through the app: landmarks in the uploaded photo's own pixels
(also when a big JPEG is decoded at reduced size), and the manifest's calibration as written."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.kinds.face.faces import Box, FaceCrop
from service.kinds.face.manifest import Calibration
from service.kinds.face.prepare import Prepared, face_out
from service.main import create_app
from service.paths import REPO_ROOT as REPO
from tests.conftest import wait_ready
from tests.support import large_photos
from tests.support.tiny_model import write_model

CHIP = json.loads((REPO / "models" / "facesim-resnet-2.0.0.json").read_text())["crop"]
# Far from slope -1, so a probability that ignored the slope would show; an older manifest's
# intercept (whose 0.5 point is not the threshold) must not move the probability off it.
INTERCEPT, SLOPE = 3.0, -40.0


@pytest.fixture(scope="module")
def chip_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The tiny model behind dlib's recipe (real detector, landmarks and chip), with a calibration."""
    directory = tmp_path_factory.mktemp("chip-model")
    model = write_model(
        directory,
        input_shape=(150, 150, 3),
        manifest_overrides={
            "crop": CHIP,
            "distance": "euclidean",
            "calibration": {"method": "logistic", "intercept": INTERCEPT, "slope": SLOPE},
        },
    )
    settings = Settings(model_uri=str(model), model_cache_dir=directory / "cache")
    with TestClient(create_app(settings)) as client:
        wait_ready(client, timeout=120)
        yield client


@pytest.fixture(scope="module")
def upright_photo() -> Any:
    """The 4000x3000 photo with one face at a known place (built once)."""
    return large_photos.upright_photo()


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_landmarks_are_scaled_like_the_box_to_upload_pixels() -> None:
    crop = FaceCrop(
        pixels=np.zeros((150, 150, 3), np.uint8),
        face=Box(100, 80, 60, 60),
        crop=Box(90, 70, 80, 80),
        detected=True,
        faces_found=1,
        landmarks=((110, 100), (150, 101), (130, 120), (115, 130), (145, 131)),
    )
    out = face_out(Prepared(crop, 1000, 800, 4.0), with_png=False)
    assert out.box.model_dump() == {"x": 400, "y": 320, "width": 240, "height": 240}
    assert out.landmarks == [[440, 400], [600, 404], [520, 480], [460, 520], [580, 524]]


@pytest.mark.parametrize("kind", ["jpeg", "jpeg-exif-rotated"])
def test_landmarks_of_a_big_jpeg_are_in_the_uploaded_photos_pixels(
    chip_client: TestClient, faces: dict[str, bytes], upright_photo: Any, kind: str
) -> None:
    upright = upright_photo
    photo = (
        large_photos.encode(upright, "JPEG", quality=90)
        if kind == "jpeg"
        else large_photos.rotated_jpeg(upright)
    )
    files = {
        "anchor": ("photo.jpg", photo, "image/jpeg"),
        "img1": ("a2.jpg", faces["a2"], "image/jpeg"),
        "img2": ("b1.jpg", faces["b1"], "image/jpeg"),
    }
    response = chip_client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    face = response.json()["faces"]["anchor"]
    assert (face["image_width"], face["image_height"]) == large_photos.SIZE
    box, points = face["box"], face["landmarks"]
    left, top = large_photos.FACE_AT
    assert len(points) == 5
    for x, y in points:
        # Inside the detected face, which sits inside the 1000 px square the face was pasted as.
        assert box["x"] <= x <= box["x"] + box["width"], (points, box)
        assert box["y"] <= y <= box["y"] + box["height"], (points, box)
        assert (
            left <= x <= left + large_photos.FACE_SIDE and top <= y <= top + large_photos.FACE_SIDE
        )
    eye_span = max(x for x, _ in points) - min(x for x, _ in points)
    assert eye_span > 0.3 * box["width"], "the points spread over the face, not a reduced copy"


def test_the_probability_is_the_manifests_logistic_of_the_distance(
    chip_client: TestClient, faces: dict[str, bytes]
) -> None:
    files = {
        n: (f"{n}.jpg", faces[k], "image/jpeg")
        for n, k in zip(("anchor", "img1", "img2"), ("a1", "b1", "a2"), strict=True)
    }
    response = chip_client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    for name in ("img1", "img2"):
        score = body["scores"][name]
        expected = logistic(SLOPE * (score["distance"] - body["threshold"]))
        assert score["probability"] == pytest.approx(expected, rel=1e-9)
        assert score["same_person"] == (score["probability"] >= 0.5)


def test_an_older_manifests_calibration_is_read_for_its_slope() -> None:
    # 2.0.1's fit: an intercept and a slope; the service uses the slope about the threshold.
    fitted = Calibration.model_validate(
        {"method": "logistic", "intercept": 27.8119116682175, "slope": -45.61747045058711}
    )
    assert fitted.slope == -45.61747045058711 and fitted.intercept == 27.8119116682175
