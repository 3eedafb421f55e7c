"""POST /predict of an image classifier: multipart or JSON, every label's probability, clear 4xx."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.kinds.image.manifest import ImageManifest
from service.kinds.image.preprocess import prepare
from service.manifest import manifest_path_for, read_manifest
from tests.conftest import ClientFactory

LABELS = [str(d) for d in range(10)]


@pytest.fixture
def client(make_client: ClientFactory, tiny_image_model: Path) -> Iterator[TestClient]:
    with make_client(model_uri=str(tiny_image_model)) as c:
        yield c


def png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


def drawing() -> np.ndarray:
    """A canvas drawing: a light stroke on black, 280 px, as the page sends it."""
    canvas = np.zeros((280, 280, 3), np.uint8)
    cv2.line(canvas, (150, 50), (120, 230), (255, 255, 255), 20)
    return canvas


def test_an_image_gets_a_label_and_every_labels_probability(client: TestClient) -> None:
    response = client.post("/predict", files={"image": ("d.png", png(drawing()), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body["probabilities"]) == LABELS
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert body["label"] == max(body["probabilities"], key=body["probabilities"].get)
    assert body["model"] == {"name": "tiny-digits", "version": "0.0.1"} and body["request_id"]


def test_json_base64_and_data_urls_answer_as_multipart_does(client: TestClient) -> None:
    data = png(drawing())
    multipart = client.post("/predict", files={"image": ("d.png", data, "image/png")}).json()
    encoded = base64.b64encode(data).decode()
    for value in (encoded, f"data:image/png;base64,{encoded}"):
        body = client.post("/predict", json={"image": value}).json()
        assert body["probabilities"] == pytest.approx(multipart["probabilities"])


def test_the_model_sees_what_the_manifest_recipe_prepares(
    client: TestClient, tiny_image_model: Path
) -> None:
    """The input the service returns is the training-side prepare() of the same upload."""
    body = client.post(
        "/predict",
        files={"image": ("d.png", png(drawing()), "image/png")},
        params={"return_input": "true"},
    ).json()
    shown = base64.b64decode(body["input_png"].split(",", 1)[1])
    served = cv2.imdecode(np.frombuffer(shown, np.uint8), cv2.IMREAD_GRAYSCALE)
    manifest = ImageManifest.model_validate(
        read_manifest(manifest_path_for(tiny_image_model)).model_dump()
    )
    rgb = cv2.cvtColor(drawing(), cv2.COLOR_BGR2RGB)
    expected = prepare(rgb, manifest.preprocessing, manifest.input_shape)[:, :, 0]
    assert np.array_equal(served, expected)


def test_a_blank_picture_is_a_422_naming_the_field(client: TestClient) -> None:
    blank = png(np.full((120, 90, 3), 255, np.uint8))
    response = client.post("/predict", files={"image": ("b.png", blank, "image/png")})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "blank_image" and error["field"] == "image"


@pytest.mark.parametrize(
    ("files", "status", "field"),
    [
        ({"img": ("d.png", b"x", "image/png")}, 422, "img"),
        ({"image": ("d.txt", b"hello, not an image", "text/plain")}, 415, "image"),
    ],
)
def test_a_wrong_field_or_a_non_image_is_a_4xx_naming_it(
    client: TestClient, files: dict[str, tuple[str, bytes, str]], status: int, field: str
) -> None:
    response = client.post("/predict", files=files)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] in (field, "image")


def test_the_model_info_and_page_are_the_image_kinds(client: TestClient) -> None:
    info = client.get("/v1/model").json()
    assert info["kind"] == "image-classification" and info["labels"] == LABELS
    assert info["input_shape"] == [28, 28, 1] and info["preprocessing"]["recipe"] == "digit"
    page = client.get("/")
    assert page.status_code == 200 and 'id="canvas"' in page.text
    assert client.get("/static/draw.js").status_code == 200
    assert client.get("/static/common/client.js").status_code == 200
    assert client.post("/verify").status_code == 404  # the face routes are not mounted
