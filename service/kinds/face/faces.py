"""What every crop recipe returns: the face it found, the model input it cut, and how."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from service.errors import ApiError


class NoFaceFound(ApiError):
    """A valid image with no detectable face."""

    status_code = 422
    code = "no_face"


class FaceTooSmall(ApiError):
    """A face was found, but with too few pixels for the model's verdict to be trusted."""

    status_code = 422
    code = "face_too_small"

    def __init__(self, field: str, width: int, minimum: int) -> None:
        super().__init__(
            f"the face in '{field}' is {width} px wide; this model's verdicts are trusted only on "
            f"faces at least {minimum} px wide: send a larger or closer photo",
            field=field,
        )
        self.width, self.minimum = width, minimum

    def body(self) -> dict[str, Any]:
        """The common error body, with the face's width and the minimum, in pixels."""
        out = super().body()
        out["error"].update(face_width_px=self.width, min_face_px=self.minimum)
        return out


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


def no_face(
    image: NDArray[np.uint8], field: str | None, *, min_fraction: float, min_pixels: int
) -> NoFaceFound:
    """The 422 every recipe raises when it finds no face, naming the rule that limited the search.

    The search looks for faces at least min_fraction of the picture's shorter side wide, and no
    detector finds one narrower than min_pixels: whichever is larger is what refused the picture.
    """
    height, width = image.shape[:2]
    by_share = min_fraction * min(height, width)
    if too_small(image):
        hint = f"the image is only {width}x{height} pixels, too few to hold a face"
    elif by_share < min_pixels:
        hint = (
            f"the image is only {width}x{height} pixels and a face must be at least {min_pixels} "
            "px wide to be found: too few pixels, send a larger photo"
        )
    else:
        hint = (
            f"use a photo of a face at least {min_fraction:.0%} of the picture's shorter side "
            f"({round(by_share)} px) wide"
        )
    name = f"'{field}'" if field else "the image"
    return NoFaceFound(f"no face found in {name}: {hint}", field=field)
