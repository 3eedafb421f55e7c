"""The dlib recipe: faces found in the pictures people send, none in pictures without one, dlib's chip."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dlib_port.files import LANDMARKS_FILE, package_models_dir
from evaluation import no_face
from service.config import DEFAULT_FACE_ASSETS
from service.images import ImageLimits, decode_image
from service.kinds.face.align import ChipAligner, ChipRecipe
from service.kinds.face.assets import FaceAssets
from service.kinds.face.faces import NoFaceFound
from service.kinds.face.manifest import read_face_manifest
from service.paths import REPO_ROOT as REPO

LIMITS = ImageLimits(8 << 20, 100_000_000)


@pytest.fixture(scope="module")
def recipe() -> ChipRecipe:
    """The default model's recipe, as its manifest states it."""
    crop = read_face_manifest(REPO / "models" / "facesim-resnet-2.0.0.json").crop
    assert isinstance(crop, ChipRecipe)
    return crop


@pytest.fixture(scope="module")
def aligner(recipe: ChipRecipe) -> ChipAligner:
    return ChipAligner(recipe, FaceAssets.verified(DEFAULT_FACE_ASSETS, recipe.assets))


@pytest.fixture(scope="module")
def portraits(lfw_sample: dict[str, bytes]) -> list[np.ndarray]:
    return [decode_image(data, field="x", limits=LIMITS) for data in lfw_sample.values()]


def turned(image: np.ndarray, degrees: float) -> np.ndarray:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)


def found_share(aligner: ChipAligner, images: list[np.ndarray]) -> float:
    return sum(bool(aligner.detect(np.ascontiguousarray(im))) for im in images) / len(images)


def test_plain_portraits_are_all_found(aligner: ChipAligner, portraits: list[np.ndarray]) -> None:
    assert found_share(aligner, portraits) == 1.0


def test_greyscale_portraits_are_found(aligner: ChipAligner, portraits: list[np.ndarray]) -> None:
    grey = [np.repeat(cv2.cvtColor(p, cv2.COLOR_RGB2GRAY)[:, :, None], 3, 2) for p in portraits]
    assert found_share(aligner, grey) == 1.0


def test_tight_crops_where_the_face_fills_the_frame_are_found(
    aligner: ChipAligner, portraits: list[np.ndarray]
) -> None:
    # LFW's deep-funneled faces fill about the central 110-120 px: an ID-photo framing.
    tight = [p[68:182, 68:182] for p in portraits]
    assert found_share(aligner, tight) >= 0.97


@pytest.mark.parametrize("degrees", [-20, 20])
def test_tilted_faces_are_found(
    aligner: ChipAligner, portraits: list[np.ndarray], degrees: float
) -> None:
    assert found_share(aligner, [turned(p, degrees) for p in portraits]) >= 0.97


def test_small_faces_in_a_big_picture_are_found(
    aligner: ChipAligner, portraits: list[np.ndarray]
) -> None:
    """Faces under 30 % of the shorter side are searched by HOG only (the CNN would cost seconds)."""
    import dlib

    hog = dlib.get_frontal_face_detector()
    frontal = [p for p in portraits if hog(p, 0)][:12]
    # A 250 px LFW image (face ~110 px) in a 1100 x 1600 scene: the face is 10 % of the shorter side.
    scenes = []
    for p in frontal:
        scene = np.full((1100, 1600, 3), 96, np.uint8)
        scene[500:750, 900:1150] = p
        scenes.append(scene)
    assert found_share(aligner, scenes) == 1.0


def test_a_large_photo_is_found_and_its_chip_comes_from_the_pyramid(
    aligner: ChipAligner, portraits: list[np.ndarray]
) -> None:
    import dlib

    big = cv2.resize(portraits[0], (3000, 3000), interpolation=cv2.INTER_CUBIC)
    crop = aligner.crop(big)
    assert crop.face.w > 1000
    shape = dlib.full_object_detection(
        dlib.rectangle(
            crop.face.x, crop.face.y, crop.face.x + crop.face.w, crop.face.y + crop.face.h
        ),
        [dlib.point(x, y) for x, y in crop.landmarks],
    )
    expected = dlib.get_face_chip(big, shape, size=150, padding=0.25)
    assert crop.pixels.tobytes() == expected.tobytes()


def test_the_chip_is_byte_identical_to_dlib_get_face_chip(
    aligner: ChipAligner, portraits: list[np.ndarray]
) -> None:
    """Our landmarks on our box, and dlib's chip for them: what dlib's own pipeline would cut."""
    import dlib

    predictor = dlib.shape_predictor(str(package_models_dir() / LANDMARKS_FILE))
    checked = 0
    for image in [*portraits, *(turned(p, 12) for p in portraits[:8])]:
        crop = aligner.crop(image)
        box = crop.face
        shape = predictor(image, dlib.rectangle(box.x, box.y, box.x + box.w, box.y + box.h))
        assert [(p.x, p.y) for p in shape.parts()] == list(crop.landmarks)
        expected = dlib.get_face_chip(image, shape, size=150, padding=0.25)
        assert crop.pixels.shape == (150, 150, 3)
        assert crop.pixels.tobytes() == expected.tobytes()
        checked += 1
    assert checked >= 50


def test_the_api_crop_square_is_the_chips_source_square(
    aligner: ChipAligner, portraits: list[np.ndarray]
) -> None:
    import dlib

    image = turned(portraits[3], 15)
    crop = aligner.crop(image)
    rect = dlib.rectangle(
        crop.face.x, crop.face.y, crop.face.x + crop.face.w, crop.face.y + crop.face.h
    )
    details = dlib.get_face_chip_details(
        dlib.full_object_detection(rect, [dlib.point(x, y) for x, y in crop.landmarks]), 150, 0.25
    )
    assert (
        abs(crop.crop.x - details.rect.left()) <= 1 and abs(crop.crop.w - details.rect.width()) <= 1
    )
    assert crop.angle == pytest.approx(np.degrees(details.angle))
    assert 5 < abs(crop.angle) < 25  # the face was turned 15 degrees


def test_the_sample_portraits_outside_lfw_are_found(aligner: ChipAligner) -> None:
    for path in no_face.face_photos():
        image = no_face.as_rgb(decode_image(path.read_bytes(), field="x", limits=LIMITS))
        assert aligner.detect(image), path.name


def test_pictures_without_a_face_get_no_face(aligner: ChipAligner) -> None:
    """The set's photographs and drawings as they are (make evaluate runs all ~210 variants)."""
    result = no_face.accepted(lambda p: aligner.crop(p, field="img1"), all_variants=False)
    assert result["pictures"] >= 30 and result["accepted"] == []
    with pytest.raises(NoFaceFound) as refused:
        aligner.crop(next(no_face.synthetic())[1], field="img1")
    assert refused.value.field == "img1"


def test_a_tiny_image_says_how_small_it_is(aligner: ChipAligner) -> None:
    with pytest.raises(NoFaceFound, match="only 20x16 pixels"):
        aligner.crop(np.zeros((16, 20, 3), np.uint8), field="anchor")


@pytest.mark.parametrize(
    ("face_fraction", "passes_run"), [(0.3, 1), (0.26, 1), (0.24, 2), (0.05, 3)]
)
def test_a_pass_ends_the_search_when_its_face_is_within_a_pyramid_step_of_its_size(
    recipe: ChipRecipe, face_fraction: float, passes_run: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    aligner = ChipAligner(recipe, FaceAssets.verified(DEFAULT_FACE_ASSETS, recipe.assets))
    calls: list[str] = []

    def finder(kind: str):  # type: ignore[no-untyped-def]
        def find(pixels: np.ndarray, upsample: int) -> list[tuple[float, float, float, float]]:
            calls.append(kind)
            side = face_fraction * min(pixels.shape[:2])  # the copy keeps the image's shape
            return [(10.0, 10.0, 10.0 + side, 10.0 + side)]

        return find

    monkeypatch.setattr(aligner, "finder", finder)
    faces, depth = aligner.detect_traced(np.zeros((250, 250, 3), np.uint8))
    assert depth == passes_run == len(calls) and faces
    assert faces[0].width == pytest.approx(face_fraction * 250, abs=2)
