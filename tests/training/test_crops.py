"""The training crop is the service's crop, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from service.haar_crop import HaarRecipe, crop_face

from service.images import ImageLimits, decode_image
from training.crops import CropSpec, load_or_build
from training.train import DEFAULT_RECIPE, TrainConfig, to_channels

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"
# The committed samples are LFW deep-funneled images; their LFW names.
LFW_NAMES = {
    "a1": "Colin_Powell_0001",
    "a2": "Colin_Powell_0002",
    "b1": "Tony_Blair_0001",
    "c1": "Serena_Williams_0001",
}
SERVICE_LIMITS = ImageLimits(max_bytes=8_388_608, max_pixels=40_000_000)


@pytest.fixture
def lfw_like(tmp_path: Path) -> tuple[Path, list[str]]:
    """A folder laid out like lfw-deepfunneled/ holding the sample faces."""
    keys = []
    for stem, name in LFW_NAMES.items():
        person = name.rsplit("_", 1)[0]
        (tmp_path / person).mkdir(exist_ok=True)
        shutil.copy(FACES / f"{stem}.jpg", tmp_path / person / f"{name}.jpg")
        keys.append(f"{person}/{name}.jpg")
    return tmp_path, sorted(keys)


def service_crop(path: Path, recipe: HaarRecipe, size: int, channels: int) -> np.ndarray:
    """What the service feeds the model for this upload."""
    image = decode_image(path.read_bytes(), field="img1", limits=SERVICE_LIMITS)
    return crop_face(image, recipe, size=(size, size), channels=channels, field="img1").pixels


def test_cached_training_crops_are_byte_identical_to_the_service_crop(
    lfw_like: tuple[Path, list[str]], tmp_path: Path
) -> None:
    images_dir, keys = lfw_like
    size = TrainConfig().size  # the shipped model's input side
    spec = CropSpec(DEFAULT_RECIPE, (size, size), 3)
    crops = load_or_build(images_dir, keys, spec, tmp_path / "cache", workers=1)
    assert crops.detected.all()
    for row, key in enumerate(crops.keys):
        expected = service_crop(images_dir / key, DEFAULT_RECIPE, size, 3)
        assert crops.pixels[row].tobytes() == expected.tobytes(), key


def test_cache_is_reused_and_returns_the_same_bytes(
    lfw_like: tuple[Path, list[str]], tmp_path: Path
) -> None:
    images_dir, keys = lfw_like
    spec = CropSpec(DEFAULT_RECIPE, (48, 48), 3)
    first = load_or_build(images_dir, keys, spec, tmp_path / "cache", workers=1)
    (images_dir / keys[0]).unlink()  # a rebuild would now fail: the second call must read the cache
    second = load_or_build(images_dir, keys, spec, tmp_path / "cache", workers=1)
    assert second.keys == first.keys
    assert second.pixels.tobytes() == first.pixels.tobytes()


def test_greyscale_model_input_matches_the_service_one_channel_crop(
    lfw_like: tuple[Path, list[str]], tmp_path: Path
) -> None:
    images_dir, keys = lfw_like
    crops = load_or_build(
        images_dir, keys, CropSpec(DEFAULT_RECIPE, (64, 64), 3), tmp_path / "c", workers=1
    )
    grey = to_channels(crops.pixels, 1)
    for row, key in enumerate(crops.keys):
        assert (
            grey[row].tobytes() == service_crop(images_dir / key, DEFAULT_RECIPE, 64, 1).tobytes()
        )


def test_cache_name_changes_with_recipe_size_and_images() -> None:
    base = CropSpec(DEFAULT_RECIPE, (64, 64), 3)
    names = {
        base.cache_name(["a/a_0001.jpg"]),
        base.cache_name(["a/a_0002.jpg"]),
        CropSpec(HaarRecipe(box_scale=1.3), (64, 64), 3).cache_name(["a/a_0001.jpg"]),
        CropSpec(DEFAULT_RECIPE, (80, 80), 3).cache_name(["a/a_0001.jpg"]),
    }
    assert len(names) == 4
