"""prepare(): MNIST's framing for any digit image, the same pixels for training and serving."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from pydantic import ValidationError

from service.kinds.image.preprocess import ImagePreprocessing, NoInkFound, prepare
from tests.kinds.image.renderings import DIGIT, SHAPE, canvas_drawing, photo_on_paper, prepared, rgb


def test_mnist_digits_come_out_as_they_went_in(mnist: NDArray[np.uint8]) -> None:
    """Training data is already MNIST-framed: preparing it changes (almost) nothing."""
    differences = np.stack([np.abs(prepared(rgb(image)) - image) for image in mnist])
    assert differences.mean() < 1.0
    assert (differences.max(axis=(1, 2)) <= 2).mean() >= 0.9


@pytest.mark.parametrize("render", ["paper", "canvas"])
def test_a_rendered_digit_prepares_like_its_mnist_original(
    mnist: NDArray[np.uint8], render: str
) -> None:
    """Serving's upload and training's image of one digit give nearly the same model pixels:
    far nearer its own original's preparation than other digits' are."""
    originals = np.stack([prepared(rgb(image)) for image in mnist])
    own = []
    for index, image in enumerate(mnist):
        shown = photo_on_paper(image, index) if render == "paper" else canvas_drawing(image)
        distances = np.abs(originals - prepared(shown)).mean(axis=(1, 2))
        others = np.delete(distances, index)
        assert distances[index] < 0.6 * np.median(others), f"digit {index} prepared unlike itself"
        own.append(distances[index])
    assert np.mean(own) < 14.0  # grey levels per pixel, of 255


def test_ink_polarity_is_decided_from_the_background(mnist: NDArray[np.uint8]) -> None:
    """Dark ink on light paper and light ink on a dark canvas make the same pixels."""
    for image in mnist[:10]:
        light_on_dark = canvas_drawing(image)
        dark_on_light = 255 - light_on_dark
        assert np.array_equal(
            prepare(dark_on_light, DIGIT, SHAPE), prepare(light_on_dark, DIGIT, SHAPE)
        )


def test_the_digit_is_fitted_into_20_pixels_and_centred_by_mass(
    mnist: NDArray[np.uint8],
) -> None:
    """MNIST's framing: the strokes' box is 20 px on its long side, their centre of mass at (14, 14)."""
    for image in mnist[:10]:
        small = cv2.resize(image, (400, 400))[50:350, 20:380]
        big = rgb(np.pad(small, ((200, 10), (10, 300))))
        pixels = prepared(big)
        core = pixels >= 128
        rows, cols = np.flatnonzero(core.any(axis=1)), np.flatnonzero(core.any(axis=0))
        assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) in (19, 20, 21)
        ys, xs = np.indices(pixels.shape)
        centre = ((pixels * ys).sum() / pixels.sum(), (pixels * xs).sum() / pixels.sum())
        assert np.allclose(centre, (14.0, 14.0), atol=0.5)


def test_a_speck_far_from_the_digit_is_background(mnist: NDArray[np.uint8]) -> None:
    """Dirt on the paper does not move or shrink the digit."""
    clean = np.pad(canvas_drawing(mnist[3]), ((0, 120), (0, 120), (0, 0)))
    dirty = clean.copy()
    dirty[360:364, 360:364] = 255
    assert np.array_equal(prepare(dirty, DIGIT, SHAPE), prepare(clean, DIGIT, SHAPE))


@pytest.mark.parametrize("level", [0, 128, 255])
def test_a_blank_image_has_no_ink(level: int) -> None:
    """Nothing drawn: the caller hears so, instead of getting a framed speck of noise."""
    with pytest.raises(NoInkFound):
        prepare(np.full((280, 280, 3), level, np.uint8), DIGIT, SHAPE)


def test_unevenly_lit_noisy_paper_without_writing_has_no_ink() -> None:
    """A light gradient and sensor noise (whose peaks pass MIN_CONTRAST) are background, not ink."""
    ys, xs = np.indices((300, 400), dtype=np.float32)
    paper = 150.0 + 60.0 * xs / 400 + 30.0 * ys / 300
    noisy = paper + np.random.default_rng(0).normal(0.0, 8.0, paper.shape)
    with pytest.raises(NoInkFound):
        prepare(rgb(np.clip(noisy, 0, 255).astype(np.uint8)), DIGIT, SHAPE)


def test_the_resize_recipe_resizes_the_whole_image() -> None:
    """A plain classifier's recipe: the image at the input size, in the model's colour."""
    image = np.zeros((60, 90, 3), np.uint8)
    image[:, :45] = (255, 0, 0)
    spec = ImagePreprocessing(recipe="resize", colour="rgb")
    pixels = prepare(image, spec, (20, 30, 3))
    assert pixels.shape == (20, 30, 3)
    assert tuple(pixels[10, 5]) == (255, 0, 0) and tuple(pixels[10, 25]) == (0, 0, 0)
    grey = prepare(image, ImagePreprocessing(recipe="resize"), (20, 30, 1))
    assert grey.shape == (20, 30, 1) and grey[10, 5, 0] == 76  # ITU-R 601 luma of pure red


def test_the_block_refuses_a_colour_digit_and_unknown_keys() -> None:
    """The manifest's block is checked: a digit is grey, and a typo is an error, not a default."""
    with pytest.raises(ValidationError):
        ImagePreprocessing(recipe="digit", colour="rgb")
    with pytest.raises(ValidationError):
        ImagePreprocessing.model_validate({"recipe": "digit", "fitbox": 20})


def test_prepare_refuses_a_shape_the_recipe_cannot_fill() -> None:
    """Channels must match the colour, and the fit box must fit the field."""
    image = np.zeros((28, 28, 3), np.uint8)
    with pytest.raises(ValueError, match="grey"):
        prepare(image, DIGIT, (28, 28, 3))
    with pytest.raises(ValueError, match="fit_box"):
        prepare(image, DIGIT, (16, 16, 1))
    with pytest.raises(ValueError, match="RGB"):
        prepare(image[:, :, 0], DIGIT, SHAPE)
