"""A digit as users send it: photographed on paper, or drawn on a canvas (for the tests)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from service.kinds.image.preprocess import ImagePreprocessing, prepare

DIGIT = ImagePreprocessing(recipe="digit")
SHAPE = (28, 28, 1)


def rgb(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.repeat(grey[:, :, None], 3, axis=2)


def prepared(image: NDArray[np.uint8]) -> NDArray[np.float64]:
    return prepare(image, DIGIT, SHAPE)[:, :, 0].astype(np.float64)


def photo_on_paper(grey: NDArray[np.uint8], seed: int) -> NDArray[np.uint8]:
    """The digit written large in dark ink, off centre on unevenly lit paper, noisy, as a JPEG."""
    rng = np.random.default_rng(seed)
    height, width = 450, 600
    ys, xs = np.indices((height, width), dtype=np.float32)
    light = 190.0 + 40.0 * ys / height - 20.0 * xs / width
    ink = np.zeros((height, width), np.float32)
    ink[60:340, 300:580] = cv2.resize(grey, (280, 280), interpolation=cv2.INTER_LINEAR) / 255.0
    paper = light * (1.0 - 0.75 * ink) + rng.normal(0.0, 5.0, (height, width))
    warm = np.stack([paper * 1.05, paper, paper * 0.9], axis=2)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(warm, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=85)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def canvas_drawing(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The digit drawn light on a dark 280x280 canvas."""
    return rgb(np.asarray(cv2.resize(grey, (280, 280), interpolation=cv2.INTER_LINEAR), np.uint8))
