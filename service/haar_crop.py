"""The Haar recipe (models up to 1.2.0): OpenCV's cascade, a square around the box, resized.

The same code crops at training time and at request time."""

from __future__ import annotations

import threading
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from service.faces import Box, FaceCrop, no_face, too_small
from service.images import RGBImage

# Never detect on a copy whose longer side exceeds this (very elongated images); boxes map back.
DETECT_MAX_SIDE = 640
# Faces that fill the frame (ID photos, pre-cropped data sets) have no context for the cascade;
# a pass on a copy padded by this fraction per side finds them.
TIGHT_CROP_PAD = 0.3


class HaarRecipe(BaseModel):
    """How a face box becomes the model's input; stored in the manifest so serving matches training."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: Literal["opencv-haar-frontalface"] = "opencv-haar-frontalface"
    box_scale: float = Field(1.0, gt=0.2, le=4.0, description="square side = max(w, h) * box_scale")
    y_offset: float = Field(
        0.0, ge=-1.0, le=1.0, description="centre shift, in box heights, + is down"
    )
    min_face_fraction: float = Field(
        0.1, gt=0.0, lt=1.0, description="smallest face searched for, of the shorter image side"
    )
    quick_face_fraction: float = Field(
        0.3,
        gt=0.0,
        lt=1.0,
        description="the first, cheap passes look only for faces at least this big; "
        "smaller ones are searched for when they find none",
    )
    detect_face_px: int = Field(
        40,
        ge=24,
        le=256,
        description="each pass runs on a copy where its smallest face is this wide",
    )
    scale_factor: float = Field(1.15, gt=1.0, le=2.0, description="cascade pyramid step")
    center_fraction: float = Field(
        0.5, gt=0.0, le=1.0, description="fallback crop: centred square, fraction of shorter side"
    )


_local = threading.local()


def _cascade() -> cv2.CascadeClassifier:
    """The Haar cascade bundled inside opencv-python-headless: no download, works offline.

    One instance per thread: a CascadeClassifier shared between threads returns corrupted boxes.
    """
    cascade: cv2.CascadeClassifier | None = getattr(_local, "cascade", None)
    if cascade is None:
        path = f"{cv2.data.haarcascades}haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"cannot load the face cascade from {path}")
        _local.cascade = cascade
    return cascade


def detect_faces(image: RGBImage, recipe: HaarRecipe) -> list[Box]:
    """All faces found by the first pass that finds any, largest first.

    Coarse to fine, because the cascade's cost grows with the square of (image side / smallest
    face): big faces are looked for first on a small copy (a few ms), then small faces at full
    resolution, and last faces filling the frame on a padded copy. So a small face in the
    background of a portrait is neither used nor counted.
    """
    if too_small(image):
        return []
    grey: NDArray[np.uint8] = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.uint8, copy=False)
    for fraction, pad in detection_passes(recipe):
        boxes = _detect_pass(grey, recipe, fraction=fraction, pad_fraction=pad)
        if boxes:
            return sorted(boxes, key=lambda b: (-b.area, b.y, b.x))
    return []


def detection_passes(recipe: HaarRecipe) -> list[tuple[float, float]]:
    """(smallest face as a fraction of the shorter side, padding per side) of each pass, in order."""
    quick = max(recipe.quick_face_fraction, recipe.min_face_fraction)
    passes = [(quick, 0.0)]
    if recipe.min_face_fraction < quick:
        passes.append((recipe.min_face_fraction, 0.0))
    return [*passes, (quick, TIGHT_CROP_PAD)]


def _detect_pass(
    grey: NDArray[np.uint8], recipe: HaarRecipe, *, fraction: float, pad_fraction: float
) -> list[Box]:
    """One detectMultiScale pass on a copy scaled so its smallest face is detect_face_px wide."""
    height, width = grey.shape
    min_face = fraction * min(height, width)
    scale = min(1.0, recipe.detect_face_px / min_face, DETECT_MAX_SIDE / max(height, width))
    small = grey
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.uint8, copy=False)
    small = cv2.equalizeHist(small).astype(np.uint8, copy=False)
    pad = round(max(small.shape) * pad_fraction)
    if pad:
        small = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REPLICATE).astype(
            np.uint8, copy=False
        )
    min_side = max(20, round(min_face * scale))
    found = _cascade().detectMultiScale(
        small, scaleFactor=recipe.scale_factor, minNeighbors=5, minSize=(min_side, min_side)
    )
    return [
        Box(round((x - pad) / scale), round((y - pad) / scale), round(w / scale), round(h / scale))
        for x, y, w, h in found
    ]


def square_around(face: Box, recipe: HaarRecipe) -> Box:
    """The square the recipe crops around a face box."""
    side = max(1, round(max(face.w, face.h) * recipe.box_scale))
    cx = face.x + face.w / 2.0
    cy = face.y + face.h / 2.0 + recipe.y_offset * face.h
    return Box(round(cx - side / 2.0), round(cy - side / 2.0), side, side)


def center_square(image: RGBImage, recipe: HaarRecipe) -> Box:
    """The fallback square in the middle of the image."""
    height, width = image.shape[:2]
    side = max(1, round(min(height, width) * recipe.center_fraction))
    return Box((width - side) // 2, (height - side) // 2, side, side)


def cut(image: RGBImage, box: Box, size: tuple[int, int], channels: int) -> NDArray[np.uint8]:
    """Crop box (edge-padding outside the image), resize to (H, W) and give `channels` channels."""
    height, width = image.shape[:2]
    top, left = max(0, -box.y), max(0, -box.x)
    bottom = max(0, box.y + box.h - height)
    right = max(0, box.x + box.w - width)
    region = image[
        max(0, box.y) : min(height, box.y + box.h), max(0, box.x) : min(width, box.x + box.w)
    ]
    if top or left or bottom or right:
        region = cv2.copyMakeBorder(region, top, bottom, left, right, cv2.BORDER_REPLICATE).astype(
            np.uint8, copy=False
        )
    out_h, out_w = size
    interp = cv2.INTER_AREA if region.shape[0] > out_h else cv2.INTER_LINEAR
    resized = cv2.resize(region, (out_w, out_h), interpolation=interp)
    if channels == 1:
        return np.ascontiguousarray(cv2.cvtColor(resized, cv2.COLOR_RGB2GRAY)[:, :, None])
    if channels != 3:
        raise ValueError(f"models with {channels} channels are not supported (1 or 3)")
    return np.ascontiguousarray(resized)


def crop_face(
    image: RGBImage,
    recipe: HaarRecipe,
    *,
    size: tuple[int, int],
    channels: int,
    field: str | None = None,
    fallback: bool = False,
) -> FaceCrop:
    """Crop the largest face; with fallback (training only) a centred square stands in for a miss."""
    faces = detect_faces(image, recipe)
    if faces:
        face = faces[0]
        crop = square_around(face, recipe)
        return FaceCrop(cut(image, crop, size, channels), face, crop, True, len(faces))
    if not fallback:
        wanted = (
            "a frontal, lit face at least "
            f"{recipe.min_face_fraction:.0%} of the picture's shorter side wide"
        )
        raise no_face(image, field, wanted)
    square = center_square(image, recipe)
    return FaceCrop(cut(image, square, size, channels), square, square, False, 0)
