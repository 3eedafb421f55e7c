"""Face detection and the crop recipe, on real faces and on pictures without one."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from service import haar_crop
from service.errors import NoFaceFound
from service.haar_crop import (
    TIGHT_CROP_PAD,
    Box,
    HaarRecipe,
    center_square,
    crop_face,
    cut,
    detect_faces,
    detection_passes,
    square_around,
)
from service.images import ImageLimits, decode_image

LIMITS = ImageLimits(8 << 20, 40_000_000)
RECIPE = HaarRecipe(box_scale=1.2)


def load(data: bytes) -> np.ndarray:
    return decode_image(data, field="anchor", limits=LIMITS)


def test_finds_the_face_in_an_ordinary_photo(faces: dict[str, bytes]) -> None:
    image = load(faces["b1"])
    found = detect_faces(image, RECIPE)
    assert found, "a frontal LFW face must be found"
    face = found[0]
    # LFW deep-funneled faces sit in the middle of the 250x250 frame.
    assert 60 < face.x + face.w / 2 < 190 and 60 < face.y + face.h / 2 < 190


def test_finds_the_face_in_a_tight_crop(faces: dict[str, bytes]) -> None:
    image = load(faces["b1"])
    face = detect_faces(image, RECIPE)[0]
    tight = np.ascontiguousarray(image[face.y : face.y + face.h, face.x : face.x + face.w])
    crop = crop_face(tight, RECIPE, size=(64, 64), channels=3, field="anchor")
    assert crop.detected and crop.pixels.shape == (64, 64, 3)


def test_photo_with_face_off_centre_in_a_larger_scene(faces: dict[str, bytes]) -> None:
    face_img = load(faces["c1"])
    scene = np.full((600, 900, 3), 90, dtype=np.uint8)
    scene[300:550, 600:850] = face_img
    found = detect_faces(scene, RECIPE)
    assert (
        found
        and 600 <= found[0].x + found[0].w / 2 <= 850
        and 300 <= found[0].y + found[0].h / 2 <= 550
    )


def test_several_faces_pick_the_largest_and_count_them(faces: dict[str, bytes]) -> None:
    image = load(faces["a1"])
    big = cv2.resize(image, (375, 375))
    other = cv2.resize(image, (300, 300))
    canvas = np.full((400, 800, 3), 120, dtype=np.uint8)
    canvas[10:385, 10:385] = big
    canvas[50:350, 480:780] = other
    crop = crop_face(canvas, RECIPE, size=(32, 32), channels=3)
    assert crop.faces_found == 2
    assert crop.face.x < 385  # the big one, on the left


def test_a_small_background_face_is_neither_used_nor_counted(faces: dict[str, bytes]) -> None:
    image = load(faces["a1"])
    canvas = np.full((400, 700, 3), 120, dtype=np.uint8)
    canvas[10:385, 10:385] = cv2.resize(image, (375, 375))
    canvas[100:225, 450:575] = image[::2, ::2]
    crop = crop_face(canvas, RECIPE, size=(32, 32), channels=3)
    assert crop.faces_found == 1 and crop.face.x < 385


def test_passes_go_from_big_faces_to_small_ones_then_to_tight_crops() -> None:
    passes = detection_passes(HaarRecipe(min_face_fraction=0.1, quick_face_fraction=0.3))
    assert passes == [(0.3, 0.0), (0.1, 0.0), (0.3, TIGHT_CROP_PAD)]
    assert detection_passes(HaarRecipe(min_face_fraction=0.4, quick_face_fraction=0.3)) == [
        (0.4, 0.0),
        (0.4, TIGHT_CROP_PAD),
    ]


def test_a_large_photo_is_searched_on_a_small_copy(
    faces: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    image = cv2.resize(load(faces["b1"]), (2000, 2000))
    seen: list[tuple[int, int]] = []
    real = haar_crop._cascade

    class Spy:
        def detectMultiScale(self, grey: np.ndarray, **kwargs: object) -> object:
            seen.append(grey.shape)
            return real().detectMultiScale(grey, **kwargs)

    monkeypatch.setattr(haar_crop, "_cascade", Spy)
    found = detect_faces(image, RECIPE)
    # The face fills ~45 % of the frame, so the first pass finds it on a copy where a
    # 30 %-of-frame face is 40 px wide: about 133 px, not 2000.
    assert found and seen == [(133, 133)]
    assert 700 < found[0].x + found[0].w / 2 < 1300


def test_no_face_raises_with_the_field() -> None:
    flat = np.full((200, 200, 3), 127, dtype=np.uint8)
    with pytest.raises(NoFaceFound) as err:
        crop_face(flat, RECIPE, size=(32, 32), channels=3, field="img2")
    assert err.value.field == "img2" and err.value.status_code == 422


def test_tiny_image_says_it_is_too_small() -> None:
    with pytest.raises(NoFaceFound, match="1x1"):
        crop_face(np.zeros((1, 1, 3), np.uint8), RECIPE, size=(32, 32), channels=3, field="anchor")


def test_fallback_uses_the_centre_square() -> None:
    flat = np.full((100, 200, 3), 127, dtype=np.uint8)
    crop = crop_face(
        flat, HaarRecipe(center_fraction=0.5), size=(16, 16), channels=1, fallback=True
    )
    assert not crop.detected and crop.crop == Box(75, 25, 50, 50)
    assert crop.pixels.shape == (16, 16, 1)


def test_square_around_scales_and_shifts() -> None:
    sq = square_around(Box(10, 20, 100, 80), HaarRecipe(box_scale=1.5, y_offset=0.1))
    assert sq.w == sq.h == 150
    assert sq.x == (60 - 75) and sq.y == (60 + 8 - 75)


def test_cut_pads_outside_the_image_with_edge_pixels() -> None:
    image = np.zeros((10, 10, 3), np.uint8)
    image[:, 0] = 255
    out = cut(image, Box(-5, 0, 10, 10), (10, 10), 3)
    assert (out[:, :5] == 255).all()


def test_center_square_is_centred() -> None:
    assert center_square(np.zeros((100, 300, 3), np.uint8), HaarRecipe(center_fraction=1.0)) == Box(
        100, 0, 100, 100
    )


def test_crop_is_deterministic(faces: dict[str, bytes]) -> None:
    image = load(faces["a2"])
    one = crop_face(image, RECIPE, size=(64, 64), channels=3)
    two = crop_face(image.copy(), RECIPE, size=(64, 64), channels=3)
    assert one.pixels.tobytes() == two.pixels.tobytes() and one.crop == two.crop


def test_crops_in_parallel_threads_match_serial_ones(faces: dict[str, bytes]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    images = [load(faces[k]) for k in ("a1", "a2", "a3", "b1", "b2", "c1")] * 4
    serial = [crop_face(i, RECIPE, size=(48, 48), channels=3).pixels.tobytes() for i in images]
    with ThreadPoolExecutor(6) as pool:
        parallel = list(
            pool.map(
                lambda i: crop_face(i, RECIPE, size=(48, 48), channels=3).pixels.tobytes(), images
            )
        )
    assert parallel == serial
