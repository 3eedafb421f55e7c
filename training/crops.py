"""Crop every LFW image once with the service's own decode + crop code and cache the arrays.

Any recipe a manifest can name works: the Haar recipe stands in a centred square for a miss (for
training), the dlib recipe has no such fallback, so a miss is recorded as `detected=False` with an
all-zero chip and the evaluation counts it the way the service answers it (422 no_face).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from service.haar_crop import HaarRecipe

from service.config import DEFAULT_FACE_ASSETS
from service.images import ImageLimits, decode_image
from service.kinds.face.align import ChipRecipe
from service.kinds.face.crop import Cropper
from service.kinds.face.faces import NoFaceFound

# The service's default per-image limits (MAX_UPLOAD_BYTES, MAX_IMAGE_PIXELS): decode as serving does.
LIMITS = ImageLimits(max_bytes=8_388_608, max_pixels=40_000_000)
# An image whose channels differ by less than this on average (JPEG chroma noise) is a greyscale photo.
GREY_CHANNEL_SPREAD = 2.0
CACHE_FORMAT = 2
# The code that turns an upload into a crop: a change to any of it must not reuse old crops.
CROP_CODE = ("images.py", "haar_crop.py", "face_detect.py", "face_align.py", "face_crop.py")
SERVICE_DIR = Path(__file__).resolve().parent.parent / "service"


def crop_code_digest() -> str:
    """sha256 of the service's decode and crop source files."""
    digest = hashlib.sha256()
    for name in CROP_CODE:
        digest.update((SERVICE_DIR / name).read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CropSet:
    """Cropped model inputs for a list of images, with the per-image facts the slices need."""

    keys: list[str]
    pixels: NDArray[np.uint8]  # (N, H, W, C)
    detected: NDArray[np.bool_]  # face found (False: Haar's centred fallback square, or no chip)
    greyscale: NDArray[np.bool_]  # the source photo has no colour
    brightness: NDArray[np.float32]  # mean luma of the RGB crop, 0..255

    def index(self) -> dict[str, int]:
        """Row of each image key."""
        return {key: row for row, key in enumerate(self.keys)}

    def subset(self, keys: list[str]) -> CropSet:
        """The rows of the given keys, in that order."""
        rows = self.index()
        take = np.array([rows[k] for k in keys], dtype=np.int64)
        return CropSet(
            list(keys),
            self.pixels[take],
            self.detected[take],
            self.greyscale[take],
            self.brightness[take],
        )


@dataclass(frozen=True)
class CropSpec:
    """Everything that determines a crop: the recipe and the model's input shape."""

    recipe: HaarRecipe | ChipRecipe
    size: tuple[int, int]
    channels: int

    def cache_name(self, keys: list[str]) -> str:
        """A file name that changes whenever the recipe, its code, the shape or the images change."""
        blob = json.dumps(
            {
                "format": CACHE_FORMAT,
                "code": crop_code_digest(),
                "recipe": self.recipe.model_dump(),
                "size": list(self.size),
                "channels": self.channels,
                "keys": hashlib.sha256("\n".join(keys).encode()).hexdigest(),
            },
            sort_keys=True,
        )
        digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
        return f"crops-{self.size[0]}x{self.size[1]}x{self.channels}-{digest}.npz"


_croppers: dict[str, Cropper] = {}


def cropper_for(recipe: HaarRecipe | ChipRecipe) -> Cropper:
    """One Cropper per recipe and process (the dlib recipe verifies its files once)."""
    key = recipe.model_dump_json()
    if key not in _croppers:
        _croppers[key] = Cropper(recipe, DEFAULT_FACE_ASSETS)
    return _croppers[key]


def crop_file(path: Path, spec: CropSpec) -> tuple[NDArray[np.uint8], bool, bool, float]:
    """One image through decode_image and the service's Cropper, exactly as the service crops it."""
    image = decode_image(path.read_bytes(), field=path.name, limits=LIMITS)
    spread = np.abs(np.diff(image.astype(np.int16), axis=2)).mean()
    grey = bool(spread < GREY_CHANNEL_SPREAD)
    fallback = isinstance(spec.recipe, HaarRecipe)
    try:
        face = cropper_for(spec.recipe).crop(
            image, size=spec.size, channels=spec.channels, fallback=fallback
        )
    except NoFaceFound:
        blank = np.zeros((*spec.size, spec.channels), dtype=np.uint8)
        return blank, False, grey, float(_luma(image))
    rgb_crop = face.pixels if spec.channels == 3 else None
    luma = face.pixels.mean() if rgb_crop is None else _luma(rgb_crop)
    return face.pixels, face.detected, grey, float(luma)


def _luma(rgb: NDArray[np.uint8]) -> float:
    """Mean ITU-R BT.601 luma, the brightness measure of the slices."""
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float64)
    return float((rgb.astype(np.float64) @ weights).mean())


def _crop_chunk(
    args: tuple[Path, list[str], CropSpec],
) -> list[tuple[NDArray[np.uint8], bool, bool, float]]:
    """Worker: crop a chunk of images (top-level so process pools can pickle it)."""
    images_dir, keys, spec = args
    return [crop_file(images_dir / key, spec) for key in keys]


def load_or_build(
    images_dir: Path,
    keys: list[str],
    spec: CropSpec,
    cache_dir: Path,
    *,
    workers: int | None = None,
) -> CropSet:
    """The cached crops for these images and spec, building the cache on first use."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / spec.cache_name(keys)
    if path.is_file():
        with np.load(path) as data:
            return CropSet(
                list(data["keys"].tolist()),
                data["pixels"],
                data["detected"],
                data["greyscale"],
                data["brightness"],
            )
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    chunk = 64
    jobs = [(images_dir, keys[i : i + chunk], spec) for i in range(0, len(keys), chunk)]
    results: list[tuple[NDArray[np.uint8], bool, bool, float]] = []
    if workers == 1:
        for job in jobs:
            results.extend(_crop_chunk(job))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(_crop_chunk, jobs):
                results.extend(part)
    crops = CropSet(
        list(keys),
        np.stack([r[0] for r in results]),
        np.array([r[1] for r in results], dtype=bool),
        np.array([r[2] for r in results], dtype=bool),
        np.array([r[3] for r in results], dtype=np.float32),
    )
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        keys=np.array(crops.keys),
        pixels=crops.pixels,
        detected=crops.detected,
        greyscale=crops.greyscale,
        brightness=crops.brightness,
    )
    tmp.replace(path)
    return crops
