"""The phone-photo recipe: 12-megapixel JPEGs as a phone stores them, built again the same."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bench.photos import EXIF_ORIENTATION, FIELDS, PHONE_SIZE, SCENES, load_triplet, phone_triplet
from tests.support import needs


@pytest.fixture(autouse=True)
def lfw() -> None:
    """The photos are built from the bench's three LFW faces."""
    needs.lfw()


def test_phone_photos_are_12_megapixel_jpegs_stored_as_a_phone_stores_them(tmp_path: Path) -> None:
    phone = phone_triplet(load_triplet(), tmp_path)
    orientations = []
    for name in FIELDS:
        with Image.open(io.BytesIO(phone.images[name])) as photo:
            assert photo.format == "JPEG" and photo.size == PHONE_SIZE
            orientations.append(photo.getexif().get(EXIF_ORIENTATION))
    assert orientations == [SCENES[n].orientation for n in FIELDS]
    assert any(o != 1 for o in orientations), "at least one is stored turned"
    assert all(0.10 <= SCENES[n].face_fraction <= 0.25 for n in FIELDS)


def test_the_recipe_builds_the_same_bytes_again(tmp_path: Path) -> None:
    small = load_triplet()
    first = phone_triplet(small, tmp_path / "a")
    again = phone_triplet(small, tmp_path / "b")
    assert first.images == again.images
