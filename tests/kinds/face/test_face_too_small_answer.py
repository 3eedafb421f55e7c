"""A manifest's min_face_px over HTTP: 422 face_too_small naming the field, the width and the minimum."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from service.paths import REPO_ROOT as REPO
from tests.conftest import wait_ready
from tests.kinds.face.test_face_quality import shrunk
from tests.support.tiny_model import write_model

CHIP = json.loads((REPO / "models" / "facesim-resnet-2.0.0.json").read_text())["crop"]


@pytest.fixture(scope="module")
def gated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The tiny model behind dlib's recipe, trusted on faces of 80 px and wider."""
    directory = tmp_path_factory.mktemp("gated-model")
    model = write_model(
        directory,
        input_shape=(150, 150, 3),
        manifest_overrides={"crop": CHIP, "distance": "euclidean", "min_face_px": 80},
    )
    settings = Settings(model_uri=str(model), model_cache_dir=directory / "cache")
    with TestClient(create_app(settings)) as client:
        wait_ready(client, timeout=120)
        yield client


def test_verify_refuses_a_small_face_with_its_width_and_the_minimum(
    gated_client: TestClient, faces: dict[str, bytes]
) -> None:
    files = {
        "img1": ("a1.png", shrunk(faces["a1"], 160), "image/png"),
        "img2": ("b1.jpg", faces["b1"], "image/jpeg"),
    }
    response = gated_client.post("/verify", files=files)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "face_too_small" and error["field"] == "img1"
    assert error["min_face_px"] == 80 and 0 < error["face_width_px"] < 80
    assert f"{error['face_width_px']} px wide" in error["message"]


def test_predict_names_the_first_small_face_in_field_order(
    gated_client: TestClient, faces: dict[str, bytes]
) -> None:
    files = {
        "anchor": ("a2.jpg", faces["a2"], "image/jpeg"),
        "img1": ("b1.png", shrunk(faces["b1"], 100), "image/png"),
        "img2": ("a1.png", shrunk(faces["a1"], 100), "image/png"),
    }
    error = gated_client.post("/predict", files=files).json()["error"]
    assert error["code"] == "face_too_small" and error["field"] == "img1"


def test_faces_at_full_size_are_compared(gated_client: TestClient, faces: dict[str, bytes]) -> None:
    files = {n: (f"{n}.jpg", faces[k], "image/jpeg") for n, k in (("img1", "a1"), ("img2", "b1"))}
    response = gated_client.post("/verify", files=files)
    assert response.status_code == 200, response.text
