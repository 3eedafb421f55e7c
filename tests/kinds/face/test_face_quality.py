"""The face-quality gate and the no_face messages: a found face under the minimum is refused with its
size and the minimum; a picture with no face says which rule refused it (too few pixels, or too
small a share of the picture). Real dlib detector on the sample faces; no model needed."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from service.config import DEFAULT_FACE_ASSETS
from service.images import ImageLimits
from service.kinds.face.align import ChipAligner, ChipRecipe
from service.kinds.face.assets import FaceAssets
from service.kinds.face.faces import FaceTooSmall, NoFaceFound
from service.kinds.face.manifest import read_face_manifest
from service.kinds.face.prepare import prepare_one
from service.paths import REPO_ROOT as REPO

LIMITS = ImageLimits(8 << 20, 100_000_000)


@pytest.fixture(scope="module")
def aligner() -> ChipAligner:
    recipe = read_face_manifest(REPO / "models" / "facesim-resnet-2.0.0.json").crop
    assert isinstance(recipe, ChipRecipe)
    return ChipAligner(recipe, FaceAssets.verified(DEFAULT_FACE_ASSETS, recipe.assets))


def shrunk(data: bytes, side: int) -> bytes:
    """The whole photo scaled to side px wide, as PNG (the issue's shrunk anchor)."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.resize((side, round(side * image.height / image.width)), Image.LANCZOS).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("side", [100, 128, 160])
def test_a_found_face_under_the_minimum_is_refused_with_its_size_and_the_minimum(
    aligner: ChipAligner, faces: dict[str, bytes], side: int
) -> None:
    with pytest.raises(FaceTooSmall) as refused:
        prepare_one(shrunk(faces["a1"], side), "anchor", aligner, LIMITS, min_face_px=80)
    error = refused.value
    assert error.status_code == 422 and error.field == "anchor"
    assert 30 < error.width < 80 and error.minimum == 80
    body = error.body()["error"]
    assert body["code"] == "face_too_small" and body["field"] == "anchor"
    assert body["face_width_px"] == error.width and body["min_face_px"] == 80
    assert f"{error.width} px" in body["message"] and "80 px" in body["message"]


def test_a_face_at_the_minimum_or_wider_is_compared(
    aligner: ChipAligner, faces: dict[str, bytes]
) -> None:
    prepared = prepare_one(faces["a1"], "img1", aligner, LIMITS, min_face_px=80)
    assert prepared.crop.face.w >= 80
    width = prepared.crop.face.w
    assert prepare_one(faces["a1"], "img1", aligner, LIMITS, min_face_px=width).crop.face.w == width


def test_a_model_without_a_minimum_compares_small_faces(
    aligner: ChipAligner, faces: dict[str, bytes]
) -> None:
    assert prepare_one(shrunk(faces["a1"], 128), "img1", aligner, LIMITS).crop.face.w < 80


@pytest.mark.parametrize("side", [24, 48])
def test_a_small_picture_without_a_found_face_is_told_it_has_too_few_pixels(
    aligner: ChipAligner, faces: dict[str, bytes], side: int
) -> None:
    """The face fills 40 % of the picture: the share rule (10 %) is not what refused it."""
    with pytest.raises(NoFaceFound) as refused:
        prepare_one(shrunk(faces["a1"], side), "anchor", aligner, LIMITS)
    message = refused.value.message
    assert f"only {side}x{side} pixels" in message and "40 px" in message
    assert "too few pixels" in message and "10%" not in message


def test_a_big_picture_without_a_face_names_the_share_of_the_picture(
    aligner: ChipAligner,
) -> None:
    grey = np.full((600, 800, 3), 128, np.uint8)
    with pytest.raises(NoFaceFound) as refused:
        aligner.crop(grey, field="img2")
    message = refused.value.message
    assert "10% of the picture's shorter side (60 px)" in message
    assert "too few pixels" not in message
