"""A handful of held-out inputs rendered as a user would send them, for tests and the page."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

# (digit, rendering): one sample per way an image reaches the service.
DIGIT_RENDERINGS = ((3, "mnist"), (5, "canvas"), (7, "paper"))
PAPER_SEED = 7


@dataclass(frozen=True)
class DigitSamples:
    """PNG files by name, and which MNIST image each one shows."""

    files: dict[str, bytes]
    sources: dict[str, int]  # file name -> index of the image in the IDX file

    def describe(self) -> str:
        """The card's section on the committed samples."""
        lines = [
            "## Sample inputs",
            "",
            "Committed under `tests/data/examples/` for the tests and the page: for each rendering, "
            "the first held-out image of that digit that the model reads correctly once rendered.",
            "",
            "| file | MNIST test-set image (0-based index in the IDX file) |",
            "| --- | --- |",
        ]
        lines += [f"| `{name}` | {index} |" for name, index in self.sources.items()]
        return "\n".join(lines)


def render(image: NDArray[np.uint8], rendering: str) -> NDArray[np.uint8]:
    """An MNIST digit as RGB: itself, a 280x280 canvas drawing, or a photo of dark ink on paper."""
    if rendering == "mnist":
        return np.repeat(image[:, :, None], 3, axis=2)
    if rendering == "canvas":
        big = cv2.resize(image, (280, 280), interpolation=cv2.INTER_CUBIC)
        return np.repeat(big[:, :, None], 3, axis=2)
    if rendering == "paper":
        return paper(image, np.random.default_rng(PAPER_SEED))
    raise ValueError(f"unknown rendering {rendering!r}")


def paper(image: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """Dark ink on off-white paper, unevenly lit, with sensor noise; the digit off centre."""
    height, width = 480, 360
    ys, xs = np.indices((height, width), dtype=np.float32)
    light = 205.0 + 30.0 * xs / width - 25.0 * ys / height
    ink = np.zeros((height, width), np.float32)
    ink[150:374, 40:264] = cv2.resize(image, (224, 224), interpolation=cv2.INTER_CUBIC) / 255.0
    grey = light * (1.0 - 0.8 * np.clip(ink, 0.0, 1.0)) + rng.normal(0.0, 6.0, (height, width))
    tint = np.array([1.0, 0.97, 0.9], np.float32)  # warm paper
    return np.clip(grey[:, :, None] * tint, 0, 255).astype(np.uint8)


def encode(image: NDArray[np.uint8], image_format: str) -> bytes:
    """PNG or JPEG bytes (deterministic: same pixels, same bytes)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=image_format, quality=90)
    return buffer.getvalue()


def decode(data: bytes) -> NDArray[np.uint8]:
    """Image bytes as the RGB array the service decodes."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def digit_samples(
    images: NDArray[np.uint8],
    labels: NDArray[np.int64],
    indices: NDArray[np.int64],
    classify: Callable[[NDArray[np.uint8]], int],
) -> DigitSamples:
    """For each (digit, rendering), the first held-out image the model reads correctly rendered so."""
    files: dict[str, bytes] = {}
    sources: dict[str, int] = {}
    for digit, rendering in DIGIT_RENDERINGS:
        for position in np.flatnonzero(labels == digit):
            rgb = render(images[position], rendering)
            if classify(decode(encode(rgb, "JPEG" if rendering == "paper" else "PNG"))) == digit:
                # A photo of paper is a JPEG, as a phone would send it; the others are PNGs.
                suffix, image_format = ("jpg", "JPEG") if rendering == "paper" else ("png", "PNG")
                name = f"digit-{rendering}-{digit}.{suffix}"
                files[name] = encode(
                    rgb if rendering != "mnist" else images[position], image_format
                )
                sources[name] = int(indices[position])
                break
    return DigitSamples(files=files, sources=sources)
