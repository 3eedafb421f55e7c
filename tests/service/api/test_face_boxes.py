"""Boxes and image sizes are in pixels of the upright uploaded image, whatever its format and size."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import large_photos


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    return large_photos.variants()


def faces_of(client: TestClient, photo: bytes, faces: dict[str, bytes]) -> dict[str, dict]:  # type: ignore[type-arg]
    files = {
        "anchor": ("photo", photo, "application/octet-stream"),
        "img1": ("a2.jpg", faces["a2"], "image/jpeg"),
        "img2": ("b1.jpg", faces["b1"], "image/jpeg"),
    }
    response = client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    return dict(response.json()["faces"]["anchor"])


def test_large_photos_report_the_same_box_in_every_format(
    client: TestClient, photos: dict[str, bytes], faces: dict[str, bytes]
) -> None:
    found = {kind: faces_of(client, data, faces) for kind, data in photos.items()}
    left, top = large_photos.FACE_AT
    for kind, face in found.items():
        assert (face["image_width"], face["image_height"]) == large_photos.SIZE, kind
        box = face["box"]
        # The face was pasted as a 1000 px square; the detector's box sits inside it.
        assert left <= box["x"] and box["x"] + box["width"] <= left + large_photos.FACE_SIDE, kind
        assert top <= box["y"] and box["y"] + box["height"] <= top + large_photos.FACE_SIDE, kind
        assert box["width"] > large_photos.FACE_SIDE // 3, kind
        crop = face["crop"]
        assert crop["width"] == crop["height"] >= box["width"], kind
    reference = found["png"]  # decoded at full size: no scaling involved
    for kind, face in found.items():
        for key in ("box", "crop"):
            for side in ("x", "y", "width", "height"):
                tolerance = 0.04 * reference[key]["width"]
                assert abs(face[key][side] - reference[key][side]) <= tolerance, (kind, key, face)


def test_small_photos_are_reported_at_their_own_size(
    client: TestClient, faces: dict[str, bytes]
) -> None:
    face = faces_of(client, faces["a1"], faces)
    assert (face["image_width"], face["image_height"]) == (250, 250)
    assert 40 < face["box"]["x"] < 120 and 60 < face["box"]["width"] < 160
