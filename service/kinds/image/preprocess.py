"""Model pixels from any RGB image: the one function training and serving both call.

The "digit" recipe makes what MNIST's authors made from NIST's scans: grey, light ink on a dark (0)
background, the ink's bounding box scaled to fit a 20x20 box keeping its aspect ratio (anti-aliased),
placed in the 28x28 field so that its centre of mass is at the field's centre. An MNIST image goes
through it unchanged; a photo of dark ink on paper, or a canvas drawing of any size, comes out the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

FloatImage = NDArray[np.float32]

# Larger photos are reduced first: the digit ends up 20 px tall, and area averaging also quiets noise.
MAX_WORKING_SIDE = 1024
# The border ring that shows the background (paper or canvas), as a fraction of the shorter side.
BORDER_FRACTION = 0.04
# A pixel is ink when it stands this many noise deviations above the fitted background.
NOISE_DEVIATIONS = 4.0
# Less contrast than this (grey levels) between background and ink means there is no ink at all.
MIN_CONTRAST = 24.0
# Pieces with less ink than this fraction of the largest stroke's are specks unless near a stroke.
MIN_PART_FRACTION = 0.05
# Small pieces this close to a stroke (in output pixels) belong to the digit (a broken stroke, a dot).
NEAR_OUTPUT_PX = 2.0
# 1.4826 x median absolute deviation estimates a normal distribution's standard deviation.
MAD_TO_SIGMA = 1.4826


class NoInkFound(ValueError):
    """The image is blank: no strokes stand out from the background."""


class ImagePreprocessing(BaseModel):
    """The manifest's "preprocessing" block: how an image becomes the model's input pixels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipe: Literal["digit", "resize"] = Field(
        description="digit: MNIST's framing (ink light on dark, fitted and centred by mass); "
        "resize: the whole image resized to the input size"
    )
    colour: Literal["grey", "rgb"] = Field("grey", description="the model's channels: 1 or 3")
    fit_box: int = Field(
        20, ge=1, description="digit: the side of the box the ink's bounding box is scaled to fit"
    )

    @model_validator(mode="after")
    def _digit_is_grey(self) -> ImagePreprocessing:
        """A digit is ink on a background: one channel."""
        if self.recipe == "digit" and self.colour != "grey":
            raise ValueError("the digit recipe makes grey pixels (colour 'grey')")
        return self

    def channels(self) -> int:
        """Channels of the prepared image."""
        return 1 if self.colour == "grey" else 3


@dataclass(frozen=True)
class InkLevels:
    """Where the background ends and full ink begins, in background-subtracted grey levels."""

    low: float
    high: float


def prepare(
    image: NDArray[np.uint8], spec: ImagePreprocessing, input_shape: tuple[int, int, int]
) -> NDArray[np.uint8]:
    """An (H, W, 3) RGB image as the model's (h, w, c) uint8 pixels, by the manifest's recipe."""
    height, width, channels = input_shape
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    if channels != spec.channels():
        raise ValueError(f"input_shape {input_shape} does not take {spec.colour} pixels")
    if spec.recipe == "resize":
        pixels = image if spec.colour == "rgb" else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        resized = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
        return np.asarray(resized, np.uint8).reshape(height, width, channels)
    if spec.fit_box > min(height, width):
        raise ValueError(f"fit_box {spec.fit_box} does not fit input_shape {input_shape}")
    ink = ink_map(np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), np.uint8), spec.fit_box)
    framed = frame_digit(ink, spec.fit_box, (height, width))
    digit: NDArray[np.uint8] = np.rint(framed * 255.0).astype(np.uint8)
    return digit.reshape(height, width, 1)


def ink_map(grey: NDArray[np.uint8], fit_box: int) -> FloatImage:
    """0..1 ink strength, background 0: polarity decided, background levelled, specks removed."""
    working = _reduce(grey).astype(np.float32)
    background, sigma = _fit_background(working)
    if _ink_is_dark(working, float(np.median(_border(working)))):
        working, background = 255.0 - working, 255.0 - background
    lifted = working - background
    levels = _ink_levels(lifted, sigma)
    ink = np.clip((lifted - levels.low) / (levels.high - levels.low), 0.0, 1.0).astype(np.float32)
    return _keep_strokes(ink, fit_box)


def frame_digit(ink: FloatImage, fit_box: int, size: tuple[int, int]) -> FloatImage:
    """MNIST's framing: bounding box scaled into fit_box x fit_box, centre of mass at the centre.

    The box is the strokes' core (ink >= 0.5), as in NIST's binary scans: the faint edge of a blurry
    photo would otherwise count as digit and shrink it. The edge is kept, scaled alike.
    """
    core_rows = np.flatnonzero((ink >= 0.5).any(axis=1))
    core_cols = np.flatnonzero((ink >= 0.5).any(axis=0))
    scale = fit_box / max(core_rows[-1] - core_rows[0] + 1, core_cols[-1] - core_cols[0] + 1)
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    target = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    if target != (crop.shape[1], crop.shape[0]):
        shrink = scale < 1.0
        crop = np.asarray(
            cv2.resize(crop, target, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR),
            np.float32,
        )
    crop = np.clip(crop, 0.0, 1.0)
    mass = float(crop.sum())
    ys, xs = np.indices(crop.shape)
    centre_y, centre_x = float((crop * ys).sum()) / mass, float((crop * xs).sum()) / mass
    # MNIST's centres of mass sit at (14, 14) in 0-based pixel indices of the 28x28 field.
    top, left = round(size[0] / 2 - centre_y), round(size[1] / 2 - centre_x)
    field = np.zeros(size, np.float32)
    _paste(field, crop, top, left)
    return field


def _reduce(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Big photos reduced by area averaging so the working side is at most MAX_WORKING_SIDE."""
    side = max(grey.shape)
    if side <= MAX_WORKING_SIDE:
        return grey
    factor = MAX_WORKING_SIDE / side
    size = (max(1, round(grey.shape[1] * factor)), max(1, round(grey.shape[0] * factor)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.uint8)


def _border_mask(shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """The outer ring of the image, where the paper or canvas shows."""
    ring = max(1, round(BORDER_FRACTION * min(shape[0], shape[1])))
    mask = np.ones(shape[:2], bool)
    mask[ring:-ring, ring:-ring] = False
    return mask


def _border(image: FloatImage) -> FloatImage:
    """The border ring's pixel values."""
    return image[_border_mask(image.shape)]


def _ink_is_dark(grey: FloatImage, background: float) -> bool:
    """Ink lies on the far side of the background from the image's extremes (dark ink on paper)."""
    darkest, lightest = np.percentile(grey, [0.5, 99.5])
    return bool(background - darkest > lightest - background)


def _fit_background(grey: FloatImage) -> tuple[FloatImage, float]:
    """A plane fitted to the border ring (uneven light on paper), and the noise's deviation."""
    mask = _border_mask(grey.shape)
    ys, xs = np.nonzero(mask)
    values = grey[mask].astype(np.float64)
    design = np.column_stack([np.ones_like(values), xs, ys]).astype(np.float64)
    keep = np.ones(values.shape, bool)
    for _ in range(2):  # the second fit ignores ink that touches the border
        coef, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        residual = values - design @ coef
        spread = float(np.median(np.abs(residual[keep])))
        keep = np.abs(residual) <= 3.0 * MAD_TO_SIGMA * spread + 1.0
    every_y, every_x = np.indices(grey.shape)
    plane = (coef[0] + coef[1] * every_x + coef[2] * every_y).astype(np.float32)
    return plane, MAD_TO_SIGMA * spread


def _ink_levels(lifted: FloatImage, sigma: float) -> InkLevels:
    """Background ends at NOISE_DEVIATIONS deviations; full ink is what the darkest strokes reach."""
    low = NOISE_DEVIATIONS * sigma
    strongest = float(lifted.max())
    if strongest - low < MIN_CONTRAST:
        raise NoInkFound("no strokes stand out from the background")
    strokes = lifted[lifted > max(low, strongest / 2.0)]
    high = float(np.percentile(strokes, 90.0))
    return InkLevels(low=low, high=max(high, low + MIN_CONTRAST))


def _keep_strokes(ink: FloatImage, fit_box: int) -> FloatImage:
    """The strokes only: isolated specks of dirt or noise, far from every stroke, set to background."""
    anything = (ink > 0).astype(np.uint8)
    count, labels = cv2.connectedComponents(anything, connectivity=8)
    if count <= 1:
        raise NoInkFound("no strokes stand out from the background")
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=count)[1:]
    strokes = np.isin(labels, 1 + np.flatnonzero(mass >= MIN_PART_FRACTION * mass.max()))
    ys, xs = np.nonzero(strokes)
    source_per_output = max(np.ptp(ys) + 1, np.ptp(xs) + 1) / fit_box
    radius = max(1, int(np.ceil(NEAR_OUTPUT_PX * source_per_output)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    near = cv2.dilate(strokes.astype(np.uint8), kernel).astype(bool)
    kept = np.isin(labels, np.unique(labels[near & (labels > 0)]))
    return np.where(kept, ink, 0.0).astype(np.float32)


def _paste(field: FloatImage, patch: FloatImage, top: int, left: int) -> None:
    """Place patch with its corner at (top, left); whatever falls outside the field is cut off."""
    height, width = field.shape
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(height, top + patch.shape[0]), min(width, left + patch.shape[1])
    if y0 < y1 and x0 < x1:
        field[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]
