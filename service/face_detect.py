"""Find faces for the dlib recipe: cheap HOG passes first, dlib's CNN detector only for what they miss.

dlib's frontal HOG detector scans an 80x80 window (dlib/image_processing/frontal_face_detector.h),
so it finds faces of about 80 px and up, or 40 px and up on a copy upsampled once. Each pass
therefore runs on a copy scaled so that the smallest face it looks for is just that big: big faces
are found on a small copy in a few milliseconds, and small ones are searched for only when no big
one is there. Tight crops (the face fills the frame, no context for the window) get a pass on a
padded copy; tilted faces a pass on copies turned back upright; the CNN detector, slower but more
tolerant of pose, light and blur, runs last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from service.images import RGBImage

HOG_WINDOW_PX = 80
# Each pass scales its smallest face to this, a margin over the window: at 78 px 1 of 12 LFW faces
# pasted into a bigger scene was missed, at 96 px none.
HOG_TARGET_PX = 96
# dlib's MMOD CNN face detector finds faces of about 80 px and up as well (measured on LFW faces
# scaled down); its cost grows with the copy's area (~0.2-0.4 s for 250 x 250 on one core), so it
# runs last and only looks for big faces, on a copy enlarged at most this much (tight crops).
CNN_WINDOW_PX = 80
CNN_MAX_UPSCALE = 2.0
# Below this many pixels on the shorter side nothing resembling a face can be found.
MIN_IMAGE_SIDE = 24


@dataclass(frozen=True)
class DetectionPass:
    """One attempt: which detector, on what copy of the image."""

    detector: Literal["hog", "cnn"]
    min_face_fraction: float  # smallest face looked for, of the shorter image side
    pad_fraction: float = 0.0  # padding added on each side, of the longer side
    angle: float = 0.0  # degrees the copy is turned before detecting (to level a tilted face)
    upsample: bool = True  # HOG may search an upsampled copy for faces under 80 px


@dataclass(frozen=True)
class Found:
    """A face box in original-image coordinates (left, top, right, bottom), and how it was found."""

    left: float
    top: float
    right: float
    bottom: float
    angle: (
        float  # the turn of the copy it was found on; the box is in that copy's frame, mapped back
    )

    @property
    def area(self) -> float:
        """Box area, to pick the largest face."""
        return (self.right - self.left) * (self.bottom - self.top)


@dataclass(frozen=True)
class Copy:
    """A resized, padded, turned copy of the image and the map from its pixels back to the original."""

    pixels: RGBImage
    forward: NDArray[np.float64]  # 2x3 affine: original -> copy
    upsample: int

    def to_original(self, x: float, y: float) -> tuple[float, float]:
        """A point of the copy in original-image coordinates."""
        inverse = cv2.invertAffineTransform(self.forward)
        ox, oy = inverse @ np.array([x, y, 1.0])
        return float(ox), float(oy)


def hog_plan(min_face_px: float, *, upsample: bool) -> tuple[float, int]:
    """(scale, upsample) so that a face of min_face_px is HOG_TARGET_PX wide; never enlarges the image.

    Without `upsample` (the quick pass) a small image is searched as it is, for faces of 80 px and up.
    """
    if min_face_px >= HOG_TARGET_PX or not upsample:
        return min(1.0, HOG_TARGET_PX / min_face_px), 0
    return min(1.0, HOG_TARGET_PX / 2 / min_face_px), 1


def cnn_scale(min_face_px: float) -> float:
    """The scale at which a face of min_face_px fills the CNN's 80 px window (at most doubling)."""
    return min(CNN_MAX_UPSCALE, CNN_WINDOW_PX / min_face_px)


def make_copy(image: RGBImage, step: DetectionPass) -> Copy:
    """The copy a pass detects on: scaled for its smallest face, padded, turned."""
    height, width = image.shape[:2]
    shorter = min(height, width)
    min_face = step.min_face_fraction * shorter
    if step.detector == "hog":
        scale, upsample = hog_plan(min_face, upsample=step.upsample)
    else:
        scale, upsample = cnn_scale(min_face), 0
    return transformed(
        image, scale=scale, angle=step.angle, pad_fraction=step.pad_fraction, upsample=upsample
    )


def transformed(
    image: RGBImage,
    *,
    scale: float,
    angle: float = 0.0,
    pad_fraction: float = 0.0,
    upsample: int = 0,
) -> Copy:
    """The image scaled, padded by pad_fraction of its longer side, turned about its centre."""
    height, width = image.shape[:2]
    pad = pad_fraction * max(height, width)
    out_w = max(1, round((width + 2 * pad) * scale))
    out_h = max(1, round((height + 2 * pad) * scale))
    centre_in = ((width - 1) / 2.0, (height - 1) / 2.0)
    centre_out = ((out_w - 1) / 2.0, (out_h - 1) / 2.0)
    # Turn by `angle` (counter-clockwise on screen) and scale about the centre, then re-centre.
    forward = cv2.getRotationMatrix2D(centre_in, angle, scale)
    forward[0, 2] += centre_out[0] - centre_in[0]
    forward[1, 2] += centre_out[1] - centre_in[1]
    if angle or pad:
        pixels = cv2.warpAffine(
            image,
            forward,
            (out_w, out_h),
            flags=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    elif scale < 1.0:
        pixels = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_AREA)
    else:
        pixels = image
    return Copy(np.ascontiguousarray(pixels, dtype=np.uint8), forward.astype(np.float64), upsample)


def run_pass(copy: Copy, detector: Any, kind: str, angle: float) -> list[Found]:
    """Detect on one copy and map every box back to the original image."""
    if kind == "hog":
        rects = detector(copy.pixels, copy.upsample)
    else:
        rects = [d.rect for d in detector(copy.pixels, copy.upsample)]
    found = []
    for r in rects:
        corners = [
            copy.to_original(x, y) for x, y in ((r.left(), r.top()), (r.right(), r.bottom()))
        ]
        if angle:
            # The box is square in the turned copy: keep its size, centre it on the mapped centre.
            cx = (corners[0][0] + corners[1][0]) / 2.0
            cy = (corners[0][1] + corners[1][1]) / 2.0
            half = math.dist(*corners) / math.sqrt(2.0) / 2.0
            found.append(Found(cx - half, cy - half, cx + half, cy + half, angle))
        else:
            (left, top), (right, bottom) = corners
            found.append(Found(left, top, right, bottom, 0.0))
    return found
