"""Crop every LFW image once with the service's own decode + crop code and cache the chips.

The recipe is the one the model's manifest names. It has no fallback: a miss is recorded as
`detected=False` with an all-zero chip, and the evaluation counts it the way the service answers
it (422 no_face).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

import service.images
import service.kinds.face.align
import service.kinds.face.crop
import service.kinds.face.detect
import service.kinds.face.faces
from evaluation.progress import progress
from service.images import ImageLimits, decode_image
from service.kinds.face.crop import CropRecipe, FaceCropper, cropper_for
from service.kinds.face.faces import NoFaceFound

# An image whose channels differ by less than this on average (JPEG chroma noise) is a greyscale photo.
GREY_CHANNEL_SPREAD = 2.0
CACHE_FORMAT = 3
# The code that turns an upload into a chip: a change to any of it must not reuse old crops.
CROP_CODE: tuple[ModuleType, ...] = (
    service.images,
    service.kinds.face.align,
    service.kinds.face.crop,
    service.kinds.face.detect,
    service.kinds.face.faces,
)


def crop_code_digest() -> str:
    """sha256 of the service's decode and crop source files."""
    digest = hashlib.sha256()
    for module in CROP_CODE:
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CropSet:
    """Model inputs for a list of images, with the per-image facts the slices need."""

    keys: list[str]
    pixels: NDArray[np.uint8]  # (N, H, W, C); all zero where no face was found
    detected: NDArray[np.bool_]  # a face was found (the service would not answer 422)
    greyscale: NDArray[np.bool_]  # the source photo has no colour
    brightness: NDArray[np.float32]  # mean luma of the chip (of the photo where no face), 0..255

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
    """Everything a worker process needs to crop as the service does: recipe, its files, limits."""

    recipe: CropRecipe
    assets_dir: Path
    limits: ImageLimits

    def cache_name(self, keys: list[str]) -> str:
        """A file name that changes whenever the recipe, its code or the images change."""
        blob = json.dumps(
            {
                "format": CACHE_FORMAT,
                "code": crop_code_digest(),
                "recipe": self.recipe.model_dump(),
                "keys": hashlib.sha256("\n".join(keys).encode()).hexdigest(),
            },
            sort_keys=True,
        )
        digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
        side = self.recipe.chip_size
        return f"crops-{side}x{side}x3-{digest}.npz"


@dataclass(frozen=True)
class CroppedImage:
    """One image's chip and the facts the slices use."""

    pixels: NDArray[np.uint8]
    detected: bool
    greyscale: bool
    brightness: float


_croppers: dict[str, FaceCropper] = {}


def process_cropper(spec: CropSpec) -> FaceCropper:
    """One cropper per recipe and process (the recipe verifies its files once)."""
    key = spec.recipe.model_dump_json()
    if key not in _croppers:
        _croppers[key] = cropper_for(spec.recipe, spec.assets_dir)
    return _croppers[key]


def crop_file(path: Path, spec: CropSpec) -> CroppedImage:
    """One image through decode_image and the service's cropper, exactly as the service crops it."""
    image = decode_image(path.read_bytes(), field=path.name, limits=spec.limits)
    spread = np.abs(np.diff(image.astype(np.int16), axis=2)).mean()
    grey = bool(spread < GREY_CHANNEL_SPREAD)
    try:
        face = process_cropper(spec).crop(image, field=path.name)
    except NoFaceFound:
        side = spec.recipe.chip_size
        blank = np.zeros((side, side, 3), dtype=np.uint8)
        return CroppedImage(blank, False, grey, _luma(image))
    return CroppedImage(face.pixels, True, grey, _luma(face.pixels))


def _luma(rgb: NDArray[np.uint8]) -> float:
    """Mean ITU-R BT.601 luma, the brightness measure of the slices."""
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float64)
    return float((rgb.astype(np.float64) @ weights).mean())


def _crop_chunk(args: tuple[Path, list[str], CropSpec]) -> list[CroppedImage]:
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
    results: list[CroppedImage] = []
    if workers == 1:
        for job in jobs:
            results.extend(_crop_chunk(job))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part in progress(pool.map(_crop_chunk, jobs), total=len(jobs), what="crop"):
                results.extend(part)
    crops = CropSet(
        list(keys),
        np.stack([r.pixels for r in results]),
        np.array([r.detected for r in results], dtype=bool),
        np.array([r.greyscale for r in results], dtype=bool),
        np.array([r.brightness for r in results], dtype=np.float32),
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
