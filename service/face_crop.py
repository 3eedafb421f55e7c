"""Find the face and crop it with the model's recipe: the same code at training time and request time."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from service.errors import NoFaceFound
from service.images import RGBImage

# Detection runs on a copy whose longer side is at most this; boxes are mapped back to full size.
DETECT_MAX_SIDE = 640
# Faces that fill the frame (ID photos, pre-cropped data sets) have no context for the cascade;
# a second pass on a copy padded by this fraction per side finds them.
TIGHT_CROP_PAD = 0.3
# Below this many pixels on the shorter side nothing resembling a face can be found.
MIN_IMAGE_SIDE = 24


class CropRecipe(BaseModel):
    """How a face box becomes the model's input; stored in the manifest so serving matches training."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: Literal["opencv-haar-frontalface"] = "opencv-haar-frontalface"
    box_scale: float = Field(1.0, gt=0.2, le=4.0, description="square side = max(w, h) * box_scale")
    y_offset: float = Field(
        0.0, ge=-1.0, le=1.0, description="centre shift, in box heights, + is down"
    )
    min_face_fraction: float = Field(0.1, gt=0.0, lt=1.0, description="of the shorter image side")
    center_fraction: float = Field(
        0.5, gt=0.0, le=1.0, description="fallback crop: centred square, fraction of shorter side"
    )


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in the original image's pixel coordinates."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        """Pixels covered, used to pick the largest face."""
        return self.w * self.h

    def as_dict(self) -> dict[str, int]:
        """JSON form for API responses and logs."""
        return {"x": self.x, "y": self.y, "width": self.w, "height": self.h}


@dataclass(frozen=True)
class FaceCrop:
    """The model input for one image, and how it was obtained."""

    pixels: NDArray[np.uint8]  # (H, W, C) uint8
    face: Box  # the detected face (the fallback square when detected is False)
    crop: Box  # the square actually cropped; may reach outside the image (edge-padded)
    detected: bool
    faces_found: int


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


def detect_faces(image: RGBImage, recipe: CropRecipe) -> list[Box]:
    """All faces found, largest first; retries on a padded copy for tight crops."""
    height, width = image.shape[:2]
    if min(height, width) < MIN_IMAGE_SIDE:
        return []
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    grey: NDArray[np.uint8] = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.uint8, copy=False)
    if scale < 1.0:
        grey = cv2.resize(
            grey, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
        ).astype(np.uint8, copy=False)
    grey = cv2.equalizeHist(grey).astype(np.uint8, copy=False)
    boxes = _run_cascade(grey, recipe, pad=0)
    if not boxes:
        pad = round(max(grey.shape) * TIGHT_CROP_PAD)
        padded = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_REPLICATE).astype(
            np.uint8, copy=False
        )
        boxes = _run_cascade(padded, recipe, pad=pad)
    mapped = [
        Box(round(x / scale), round(y / scale), round(w / scale), round(h / scale))
        for x, y, w, h in boxes
    ]
    return sorted(mapped, key=lambda b: (-b.area, b.y, b.x))


def _run_cascade(grey: NDArray[np.uint8], recipe: CropRecipe, *, pad: int) -> list[tuple[int, ...]]:
    """One detectMultiScale pass; coordinates are returned relative to the unpadded image."""
    shorter = min(grey.shape) - 2 * pad
    min_side = max(20, round(shorter * recipe.min_face_fraction))
    found = _cascade().detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
    )
    return [(int(x) - pad, int(y) - pad, int(w), int(h)) for x, y, w, h in found]


def square_around(face: Box, recipe: CropRecipe) -> Box:
    """The square the recipe crops around a face box."""
    side = max(1, round(max(face.w, face.h) * recipe.box_scale))
    cx = face.x + face.w / 2.0
    cy = face.y + face.h / 2.0 + recipe.y_offset * face.h
    return Box(round(cx - side / 2.0), round(cy - side / 2.0), side, side)


def center_square(image: RGBImage, recipe: CropRecipe) -> Box:
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
    recipe: CropRecipe,
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
        height, width = image.shape[:2]
        hint = (
            f"the image is only {width}x{height} pixels"
            if min(height, width) < MIN_IMAGE_SIDE
            else "use a photo where the face is frontal, lit and at least ~40 px wide"
        )
        name = f"'{field}'" if field else "the image"
        raise NoFaceFound(f"no face found in {name}: {hint}", field=field)
    square = center_square(image, recipe)
    return FaceCrop(cut(image, square, size, channels), square, square, False, 0)
