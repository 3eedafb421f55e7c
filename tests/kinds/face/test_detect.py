"""The detection plan and the choice of the subject, without running a detector."""

from __future__ import annotations

import numpy as np
import pytest

from service.kinds.face.detect import (
    HOG_TARGET_PX,
    DetectionPass,
    Found,
    cnn_scale,
    hog_plan,
    make_copy,
    run_pass,
)


def test_big_faces_are_searched_on_a_small_copy_without_upsampling() -> None:
    scale, upsample = hog_plan(900.0)  # 30 % of a 3000 px side
    assert upsample == 0 and scale == pytest.approx(HOG_TARGET_PX / 900.0)


def test_faces_under_the_window_are_searched_upsampled_and_never_on_an_enlarged_copy() -> None:
    assert hog_plan(60.0) == (pytest.approx(HOG_TARGET_PX / 2 / 60.0), 1)
    assert hog_plan(25.0) == (1.0, 1)


def test_the_cnn_copy_grows_at_most_twofold() -> None:
    assert cnn_scale(30.0) == 2.0 and cnn_scale(160.0) == pytest.approx(0.5)


def test_a_copy_maps_its_boxes_back_to_the_original() -> None:
    image = np.zeros((1000, 2000, 3), np.uint8)
    copy = make_copy(image, DetectionPass("hog", 0.3, pad_fraction=0.1))
    assert copy.pixels.shape[0] == round(1000 * copy.scale) + 2 * copy.offset[1]
    # A box found at (offset + 10, offset + 20) .. (offset + 60, offset + 80) in the copy:
    o = copy.offset[0]
    found = run_pass(copy, lambda pixels, up: [(o + 10, o + 20, o + 60, o + 80)])
    (face,) = found
    assert face.left == pytest.approx(10 / copy.scale) and face.bottom == pytest.approx(
        80 / copy.scale
    )


def test_the_subject_is_the_centred_face_not_a_cut_off_one_of_the_same_size() -> None:
    centred = Found(70, 80, 178, 188)
    cut_off = Found(-28, 163, 80, 271)  # same box size, half outside the picture, at the edge
    assert centred.prominence(250, 250) > cut_off.prominence(250, 250)


def test_a_much_bigger_face_beats_a_small_centred_one() -> None:
    big = Found(10, 10, 385, 385)
    small_centred = Found(350, 150, 450, 250)
    assert big.prominence(800, 400) > small_centred.prominence(800, 400)


def test_overlap_means_the_same_face_found_twice() -> None:
    a = Found(70, 83, 167, 180)
    assert a.overlaps(Found(72, 85, 170, 182))
    assert not a.overlaps(Found(183, 3, 250, 72))


def test_boxes_are_rounded_at_their_corners() -> None:
    box = Found(10.4, 20.6, 110.6, 120.4).box()
    assert (box.x, box.y, box.x + box.w, box.y + box.h) == (10, 21, 111, 120)
