"""Colour JPEGs decoded by OpenCV straight into the array: Pillow's pixels at every reduction, every
EXIF orientation turned as Pillow turns it, and a file cut short left to Pillow (which refuses it)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from service.images import EXIF_ORIENTATION, ImageLimits, decode_upright
from service.jpeg import complete, decode_colour, orient

LIMITS = ImageLimits(max_bytes=8 * 1024 * 1024, max_pixels=40_000_000)


def photo(width: int = 803, height: int = 601, orientation: int = 1) -> bytes:
    """A noisy colour JPEG (odd sizes: scaled sizes round up) with an EXIF orientation."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    blocks = np.kron(base, np.ones((8, 8, 1), dtype=np.uint8))[:height, :width]
    noisy = np.clip(blocks + rng.normal(0, 12, blocks.shape), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("reduction", [1, 2, 4, 8])
def test_decoded_pixels_are_pillows_at_every_reduction(reduction: int) -> None:
    data = photo()
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (803 // reduction, 601 // reduction))
        expected = np.asarray(img.convert("RGB"))
    got = decode_colour(data, reduction, (expected.shape[1], expected.shape[0]))
    assert got is not None
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_as_pillow_turns_it(orientation: int) -> None:
    data = photo(orientation=orientation)
    with Image.open(io.BytesIO(data)) as img:
        stored = np.asarray(img.convert("RGB"))
        upright = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    assert np.array_equal(orient(stored, orientation), upright)
    decoded = decode_upright(data, field="anchor", limits=LIMITS)
    assert np.array_equal(decoded.pixels, upright)
    assert (decoded.width, decoded.height) == (upright.shape[1], upright.shape[0])


def test_a_jpeg_cut_short_is_left_to_pillow() -> None:
    data = photo()
    assert complete(data) and complete(data + b"bytes a camera appended")
    cut = data[: len(data) * 2 // 3]
    assert not complete(cut)
    assert decode_colour(cut, 1, (803, 601)) is None
