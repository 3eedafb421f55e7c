"""The manifest names the crop recipe; its files are verified and it cuts the model's input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from service.config import DEFAULT_FACE_ASSETS
from service.errors import ModelError
from service.images import ImageLimits, decode_image
from service.kinds.face.align import ChipRecipe
from service.kinds.face.crop import cropper_for
from service.kinds.face.manifest import FaceManifest
from service.paths import REPO_ROOT as REPO
from tests.conftest import ClientFactory
from tests.support.tiny_model import write_model

CHIP = json.loads((REPO / "models" / "facesim-resnet-2.0.0.json").read_text())["crop"]
BASE: dict[str, Any] = {"name": "m", "version": "1", "sha256": "0" * 64, "threshold": 0.5}
LIMITS = ImageLimits(8 << 20, 40_000_000)


def manifest(**fields: Any) -> FaceManifest:
    return FaceManifest.model_validate({**BASE, "input_shape": [150, 150, 3], **fields})


def test_a_face_manifest_must_name_its_recipe() -> None:
    with pytest.raises(ValidationError, match="crop"):
        manifest()


def test_the_dlib_recipe_is_chosen_by_its_detector() -> None:
    recipe = manifest(crop=CHIP).crop
    assert isinstance(recipe, ChipRecipe) and recipe.chip_size == 150 and recipe.padding == 0.25


def test_an_unknown_detector_or_a_stray_key_is_refused() -> None:
    with pytest.raises(ValidationError):
        manifest(crop={**CHIP, "detector": "opencv-haar-frontalface"})
    with pytest.raises(ValidationError, match="extra"):
        manifest(crop={**CHIP, "upsample": 3})


def test_the_model_must_take_the_recipes_chips() -> None:
    with pytest.raises(ValidationError, match="150x150x3 chips"):
        manifest(crop=CHIP, input_shape=[80, 80, 3])


def test_the_recipe_cuts_the_chip_size_its_manifest_names(faces: dict[str, bytes]) -> None:
    image = decode_image(faces["b1"], field="img1", limits=LIMITS)
    small = manifest(crop={**CHIP, "chip_size": 80}, input_shape=[80, 80, 3]).crop
    chip = cropper_for(small, DEFAULT_FACE_ASSETS).crop(image)
    assert chip.pixels.shape == (80, 80, 3) and len(chip.landmarks) == 5


def test_a_missing_or_altered_recipe_file_is_refused(tmp_path: Path) -> None:
    recipe = manifest(crop=CHIP).crop
    with pytest.raises(ModelError, match="not in FACE_ASSETS_DIR"):
        cropper_for(recipe, tmp_path)
    for name in recipe.assets:
        (tmp_path / name).write_bytes(b"not the model")
    with pytest.raises(ModelError, match="expects"):
        cropper_for(recipe, tmp_path)


def test_a_chip_model_with_a_wrong_recipe_file_never_becomes_ready(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    model = write_model(
        tmp_path / "m",
        input_shape=(150, 150, 3),
        manifest_overrides={"crop": CHIP, "distance": "euclidean"},
    )
    with make_client(ready=False, model_uri=str(model), face_assets_dir=tmp_path) as client:
        for _ in range(200):
            if client.fatal:  # type: ignore[attr-defined]
                break
            __import__("time").sleep(0.05)
        assert "FACE_ASSETS_DIR" in client.fatal[0]  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 503


def test_a_chip_model_serves_landmarks_angle_and_probability(
    make_client: ClientFactory, tmp_path: Path, faces: dict[str, bytes]
) -> None:
    model = write_model(
        tmp_path / "m",
        input_shape=(150, 150, 3),
        manifest_overrides={
            "crop": CHIP,
            "distance": "euclidean",
            "calibration": {"method": "logistic", "intercept": 0.5, "slope": -1.0},
        },
    )
    with make_client(model_uri=str(model)) as client:
        files = {
            n: (f"{n}.jpg", faces[k], "image/jpeg")
            for n, k in zip(("anchor", "img1", "img2"), ("a1", "b1", "a2"), strict=True)
        }
        body = client.post("/predict", files=files).json()
    for name in ("img1", "img2"):
        score = body["scores"][name]
        assert score["probability"] == pytest.approx(1 / (1 + np.exp(-(0.5 - score["distance"]))))
    face = body["faces"]["anchor"]
    assert len(face["landmarks"]) == 5 and isinstance(face["angle"], float)
    assert face["crop"]["width"] > 0


def test_a_chip_model_runs_the_cnn_in_its_own_process_and_refuses_a_picture_without_a_face(
    make_client: ClientFactory, tmp_path: Path, faces: dict[str, bytes]
) -> None:
    import io

    from PIL import Image

    model = write_model(
        tmp_path / "m",
        input_shape=(150, 150, 3),
        manifest_overrides={"crop": CHIP, "distance": "euclidean"},
    )
    grey = io.BytesIO()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(grey, format="PNG")
    with make_client(model_uri=str(model)) as client:
        kind = client.app.state.kind  # type: ignore[attr-defined]
        process = kind.model.cropper._cnn_process
        assert process is not None
        workers = list(process._pool._processes.values())
        assert (
            len(workers) == 1 and workers[0].is_alive()
        )  # started by the warm-up, before readiness
        files = {
            "img1": ("a.jpg", faces["a1"], "image/jpeg"),
            "img2": ("grey.png", grey.getvalue(), "image/png"),
        }
        response = client.post("/verify", files=files)
        assert response.status_code == 422
        assert response.json()["error"] == {
            "code": "no_face",
            "field": "img2",
            "message": response.json()["error"]["message"],
        }
    workers[0].join(10)  # the app's shutdown stopped it
    assert not workers[0].is_alive()
