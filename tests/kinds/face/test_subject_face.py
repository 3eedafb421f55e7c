"""Two real faces before dlib's recipe: the bigger, more central one is the subject that gets cut."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from service.config import DEFAULT_FACE_ASSETS
from service.images import ImageLimits, decode_image
from service.kinds.face.align import ChipAligner, ChipRecipe
from service.kinds.face.assets import FaceAssets
from service.kinds.face.manifest import read_face_manifest
from service.paths import REPO_ROOT
from tests.conftest import FACES

REPO = REPO_ROOT
LIMITS = ImageLimits(8 << 20, 100_000_000)
SCENE = (800, 1600)  # height, width
# The subject (sample face a1 enlarged to 720 px: its face ~310 px) and a bystander (b1 at 560 px:
# its face ~260 px). Both are over 30 % of the shorter side, so the first pass finds both.
SUBJECT_SIDE, BYSTANDER_SIDE = 720, 560


def portrait(name: str, side: int) -> np.ndarray:
    image = decode_image((FACES / f"{name}.jpg").read_bytes(), field="x", limits=LIMITS)
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)


@pytest.fixture(scope="module")
def aligner() -> ChipAligner:
    recipe = read_face_manifest(REPO / "models" / "facesim-resnet-2.0.0.json").crop
    assert isinstance(recipe, ChipRecipe)
    return ChipAligner(recipe, FaceAssets.verified(DEFAULT_FACE_ASSETS, recipe.assets))


@pytest.mark.parametrize("subject_on", ["left", "right"])
def test_the_bigger_more_central_face_is_the_subject_of_two(
    aligner: ChipAligner, subject_on: str
) -> None:
    scene = np.full((*SCENE, 3), 110, np.uint8)
    subject_x, bystander_x = (60, 980) if subject_on == "left" else (820, 60)
    top = (SCENE[0] - SUBJECT_SIDE) // 2
    scene[top : top + SUBJECT_SIDE, subject_x : subject_x + SUBJECT_SIDE] = portrait(
        "a1", SUBJECT_SIDE
    )
    b_top = (SCENE[0] - BYSTANDER_SIDE) // 2
    scene[b_top : b_top + BYSTANDER_SIDE, bystander_x : bystander_x + BYSTANDER_SIDE] = portrait(
        "b1", BYSTANDER_SIDE
    )
    crop = aligner.crop(scene)
    assert crop.faces_found == 2, "both faces were found"
    box = crop.face
    assert subject_x <= box.x and box.x + box.w <= subject_x + SUBJECT_SIDE, box
    assert top <= box.y and box.y + box.h <= top + SUBJECT_SIDE, box
    for x, y in crop.landmarks:
        assert subject_x <= x <= subject_x + SUBJECT_SIDE and top <= y <= top + SUBJECT_SIDE
