"""What every crop recipe returns: the face it found, the model input it cut, and how."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from service.errors import ApiError


class NoFaceFound(ApiError):
    """A valid image with no detectable face."""

    status_code = 422
    code = "no_face"


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
    crop: Box  # the square cut, before any rotation; may reach outside the image
    detected: bool
    faces_found: int
    angle: float = (
        0.0  # degrees the square is turned (counter-clockwise in the image) to level the eyes
    )
    landmarks: tuple[tuple[int, int], ...] = ()  # the points the face was aligned on, if any


# Below this many pixels on the shorter side nothing resembling a face can be found.
MIN_IMAGE_SIDE = 24


def too_small(image: NDArray[np.uint8]) -> bool:
    """No detector can find a face in a picture this small."""
    return bool(min(image.shape[:2]) < MIN_IMAGE_SIDE)


def no_face(image: NDArray[np.uint8], field: str | None, wanted: str) -> NoFaceFound:
    """The 422 every recipe raises when it finds no face: the field, and what would have been found."""
    height, width = image.shape[:2]
    hint = (
        f"the image is only {width}x{height} pixels"
        if too_small(image)
        else f"use a photo of {wanted}"
    )
    name = f"'{field}'" if field else "the image"
    return NoFaceFound(f"no face found in {name}: {hint}", field=field)
