"""A set of pictures without a face (scenes, an animal, objects, textures, text, blanks) in many variants.

The photographs are the sample images that scikit-image and scikit-learn ship inside their wheels
(no download): a cat, a coffee cup, a rocket launch, motorcycles, coins, the moon, the Hubble deep
field, bricks, grass, gravel, a temple in a landscape, a flower, printed text... (the two portraits
among them, astronaut and camera, are faces and are kept apart as positives). Synthetic pictures
add blanks, gradients, noise, checkerboards and shapes. Each goes through the service's decoder
and crop recipe as an upload would, in several variants (greyscale, smaller, larger, turned, cut).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from service.images import ImageLimits, decode_image
from service.kinds.face.faces import NoFaceFound

Picture = NDArray[np.uint8]
# scikit-image's sample photographs of a face: positives, never part of the no-face set.
FACE_SAMPLES = ("astronaut.png", "camera.png")


def _package_dir(package: str, *parts: str) -> Path:
    """A folder inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{package} is not installed (pip install -r requirements-dev.txt)")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def sample_photos() -> list[Path]:
    """Every bundled sample photograph of scikit-image and scikit-learn, faces included."""
    folders = [_package_dir("skimage", "data"), _package_dir("sklearn", "datasets", "images")]
    return sorted(p for f in folders for p in f.iterdir() if p.suffix in (".png", ".jpg"))


def face_photos() -> list[Path]:
    """The two sample portraits: faces no LFW-trained or LFW-evaluated code has seen."""
    return [p for p in sample_photos() if p.name in FACE_SAMPLES]


def no_face_photos() -> list[Path]:
    """The sample photographs without a face."""
    return [p for p in sample_photos() if p.name not in FACE_SAMPLES]


def synthetic(seed: int = 0) -> Iterator[tuple[str, Picture]]:
    """Pictures drawn here: blanks, gradients, noise, patterns, shapes."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, 320, dtype=np.float32)
    yield "white", np.full((240, 320, 3), 255, np.uint8)
    yield "black", np.zeros((240, 320, 3), np.uint8)
    yield "grey", np.full((480, 640, 3), 128, np.uint8)
    yield "gradient", np.repeat(np.tile(ramp, (240, 1))[:, :, None], 3, axis=2).astype(np.uint8)
    yield "uniform noise", rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    gaussian = rng.normal(128, 50, (480, 640, 3)).clip(0, 255)
    yield "gaussian noise", gaussian.astype(np.uint8)
    yield (
        "checkerboard",
        (np.indices((240, 320)).sum(0) // 20 % 2 * 255).astype(np.uint8)[:, :, None].repeat(3, 2),
    )
    yield (
        "stripes",
        (np.indices((240, 320))[1] // 8 % 2 * 255).astype(np.uint8)[:, :, None].repeat(3, 2),
    )
    shapes = np.full((400, 400, 3), 230, np.uint8)
    for _ in range(25):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y, r = (int(v) for v in rng.integers(20, 380, 3))
        if rng.random() < 0.5:
            cv2.circle(shapes, (x, y), r % 60 + 5, colour, -1)
        else:
            cv2.rectangle(shapes, (x, y), (x + r % 80, y + r % 50), colour, -1)
    yield "shapes", shapes


def variants(name: str, picture: Picture) -> Iterator[tuple[str, Picture]]:
    """The picture as uploaded, and greyscale, halved, doubled, turned and cut versions."""
    height, width = picture.shape[:2]
    yield name, picture
    grey = cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY)
    yield f"{name} (greyscale)", np.repeat(grey[:, :, None], 3, axis=2)
    half = (max(1, width // 2), max(1, height // 2))
    yield f"{name} (half size)", as_rgb(cv2.resize(picture, half))
    if max(height, width) <= 1200:
        yield f"{name} (double size)", as_rgb(cv2.resize(picture, (width * 2, height * 2)))
    yield f"{name} (turned 90)", np.ascontiguousarray(np.rot90(picture))
    side = min(height, width) // 2
    yield (
        f"{name} (centre cut)",
        np.ascontiguousarray(
            picture[
                (height - side) // 2 : (height + side) // 2,
                (width - side) // 2 : (width + side) // 2,
            ]
        ),
    )


def as_rgb(image: NDArray[np.generic]) -> Picture:
    """Any decoded array as 3-channel uint8 (the synthetic ones are already)."""
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)


def pictures(*, all_variants: bool = True, seed: int = 0) -> Iterator[tuple[str, Picture]]:
    """Every no-face picture: the photographs (decoded as uploads are) and the drawings.

    With all_variants each also comes greyscale, halved, doubled, turned and cut (~210 in all).
    """
    limits = ImageLimits(max_bytes=1 << 26, max_pixels=100_000_000)
    base = [
        (path.stem, as_rgb(decode_image(path.read_bytes(), field=path.name, limits=limits)))
        for path in no_face_photos()
    ]
    for name, picture in [*base, *synthetic(seed)]:
        if all_variants:
            yield from variants(name, picture)
        else:
            yield name, picture


def accepted(crop: Callable[[Picture], object], *, all_variants: bool = True) -> dict[str, Any]:
    """Run every no-face picture through a crop function; which ones it wrongly finds a face in."""
    names, wrong, seconds = [], [], []
    for name, picture in pictures(all_variants=all_variants):
        started = time.perf_counter()
        try:
            crop(picture)
            wrong.append(name)
        except NoFaceFound:
            pass
        seconds.append(time.perf_counter() - started)
        names.append(name)
    return {
        "pictures": len(names),
        "accepted": wrong,
        "median_ms": float(np.median(seconds) * 1000.0),
        "max_ms": float(np.max(seconds) * 1000.0),
    }
