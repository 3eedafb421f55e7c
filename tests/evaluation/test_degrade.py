"""The sweep's pictures: a face resized to a width the detector then finds, compression that keeps size."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from evaluation import degrade
from service.config import DEFAULT_FACE_ASSETS
from service.images import ImageLimits, decode_image
from service.kinds.face.align import ChipAligner, ChipRecipe
from service.kinds.face.assets import FaceAssets
from service.kinds.face.manifest import read_face_manifest
from service.paths import REPO_ROOT as REPO

LIMITS = ImageLimits(8 << 20, 100_000_000)
PYRAMID_STEP = 5 / 6  # dlib's boxes come in sizes this far apart


@pytest.fixture(scope="module")
def aligner() -> ChipAligner:
    recipe = read_face_manifest(REPO / "models" / "facesim-resnet-2.0.2.json").crop
    assert isinstance(recipe, ChipRecipe)
    return ChipAligner(recipe, FaceAssets.verified(DEFAULT_FACE_ASSETS, recipe.assets))


@pytest.mark.parametrize("size", [60, 100, 140])
def test_a_resized_face_is_found_about_as_wide_as_asked(
    aligner: ChipAligner, faces: dict[str, bytes], size: int
) -> None:
    original = decode_image(faces["b1"], field="x", limits=LIMITS)
    width = aligner.crop(original).face.w
    sent = degrade.degraded(faces["b1"], original, width, degrade.Condition("", "size", size))
    assert sent.startswith(b"\x89PNG"), "sized pictures go losslessly"
    found = aligner.crop(decode_image(sent, field="x", limits=LIMITS)).face.w
    assert size * PYRAMID_STEP <= found <= size / PYRAMID_STEP


@pytest.mark.parametrize(("kind", "magic"), [("jpeg", b"\xff\xd8"), ("webp", b"RIFF")])
def test_compression_keeps_the_size_and_changes_the_format(
    faces: dict[str, bytes], kind: str, magic: bytes
) -> None:
    original = decode_image(faces["a1"], field="x", limits=LIMITS)
    sent = degrade.degraded(faces["a1"], original, 97, degrade.Condition("", kind, 15))  # type: ignore[arg-type]
    assert sent.startswith(magic) and sent != faces["a1"]
    assert Image.open(io.BytesIO(sent)).size == (original.shape[1], original.shape[0])


def test_the_original_condition_sends_the_file_untouched(faces: dict[str, bytes]) -> None:
    original = decode_image(faces["a1"], field="x", limits=LIMITS)
    assert degrade.degraded(faces["a1"], original, 97, degrade.ORIGINAL) is faces["a1"]
