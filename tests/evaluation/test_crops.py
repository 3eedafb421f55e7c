"""The evaluation's chip is the service's chip, byte for byte, and its cache is reused only when valid."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation.crops import CropSpec, load_or_build
from service.config import DEFAULT_FACE_ASSETS, DEFAULT_MODEL, Settings
from service.images import ImageLimits
from service.kinds.face.crop import cropper_for
from service.kinds.face.manifest import read_face_manifest
from service.kinds.face.prepare import prepare_one
from service.manifest import manifest_path_for
from service.paths import SAMPLE_FACES as FACES

# The committed samples are LFW deep-funneled images; their LFW names.
LFW_NAMES = {
    "a1": "Colin_Powell_0001",
    "a2": "Colin_Powell_0002",
    "b1": "Tony_Blair_0001",
    "c1": "Serena_Williams_0001",
}
SETTINGS = Settings()
LIMITS = ImageLimits(SETTINGS.max_upload_bytes, SETTINGS.max_image_pixels)
RECIPE = read_face_manifest(manifest_path_for(DEFAULT_MODEL)).crop


@pytest.fixture
def lfw_like(tmp_path: Path) -> tuple[Path, list[str]]:
    """A folder laid out like lfw-deepfunneled/ holding the sample faces and one picture without."""
    keys = []
    for stem, name in LFW_NAMES.items():
        person = name.rsplit("_", 1)[0]
        (tmp_path / person).mkdir(exist_ok=True)
        shutil.copy(FACES / f"{stem}.jpg", tmp_path / person / f"{name}.jpg")
        keys.append(f"{person}/{name}.jpg")
    (tmp_path / "Nobody").mkdir()
    grey = np.full((120, 100, 3), 128, np.uint8)
    Image.fromarray(grey).save(tmp_path / "Nobody" / "Nobody_0001.jpg")
    keys.append("Nobody/Nobody_0001.jpg")
    return tmp_path, sorted(keys)


def test_cached_chips_are_byte_identical_to_what_the_service_feeds_the_model(
    lfw_like: tuple[Path, list[str]], tmp_path: Path
) -> None:
    images_dir, keys = lfw_like
    spec = CropSpec(RECIPE, DEFAULT_FACE_ASSETS, LIMITS)
    crops = load_or_build(images_dir, keys, spec, tmp_path / "cache", workers=1)
    cropper = cropper_for(RECIPE, DEFAULT_FACE_ASSETS)
    for row, key in enumerate(crops.keys):
        if key.startswith("Nobody/"):
            continue
        served = prepare_one((images_dir / key).read_bytes(), "img1", cropper, LIMITS)
        assert crops.detected[row], key
        assert crops.pixels[row].tobytes() == served.crop.pixels.tobytes(), key


def test_a_picture_without_a_face_is_recorded_as_missed_with_a_blank_chip(
    lfw_like: tuple[Path, list[str]], tmp_path: Path
) -> None:
    images_dir, keys = lfw_like
    spec = CropSpec(RECIPE, DEFAULT_FACE_ASSETS, LIMITS)
    crops = load_or_build(images_dir, keys, spec, tmp_path / "cache", workers=1)
    row = crops.index()["Nobody/Nobody_0001.jpg"]
    assert not crops.detected[row] and crops.greyscale[row]
    assert not crops.pixels[row].any()
    assert crops.pixels[row].shape == (RECIPE.chip_size, RECIPE.chip_size, 3)
    assert crops.brightness[row] == pytest.approx(128.0, abs=1.0)


def test_cache_is_reused_and_returns_the_same_bytes(
    lfw_like: tuple[Path, list[str]], tmp_path: Path
) -> None:
    images_dir, keys = lfw_like
    spec = CropSpec(RECIPE, DEFAULT_FACE_ASSETS, LIMITS)
    first = load_or_build(images_dir, keys, spec, tmp_path / "cache", workers=1)
    (images_dir / keys[0]).unlink()  # a rebuild would now fail: the second call must read the cache
    second = load_or_build(images_dir, keys, spec, tmp_path / "cache", workers=1)
    assert second.keys == first.keys
    assert second.pixels.tobytes() == first.pixels.tobytes()


def test_cache_name_changes_with_the_recipe_and_the_images() -> None:
    base = CropSpec(RECIPE, DEFAULT_FACE_ASSETS, LIMITS)
    bigger = CropSpec(RECIPE.model_copy(update={"chip_size": 160}), DEFAULT_FACE_ASSETS, LIMITS)
    padded = CropSpec(RECIPE.model_copy(update={"padding": 0.3}), DEFAULT_FACE_ASSETS, LIMITS)
    names = {
        base.cache_name(["a/a_0001.jpg"]),
        base.cache_name(["a/a_0002.jpg"]),
        bigger.cache_name(["a/a_0001.jpg"]),
        padded.cache_name(["a/a_0001.jpg"]),
    }
    assert len(names) == 4
