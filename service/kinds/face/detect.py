"""Find faces for the dlib recipe: cheap HOG passes first, dlib's CNN detector only for what they miss.

dlib's frontal HOG detector scans an 80x80 window (dlib/image_processing/frontal_face_detector.h),
so it finds faces of about 80 px and up, or 40 px and up on a copy upsampled once. Each pass
therefore runs on a copy scaled so that the smallest face it looks for is just that big: big faces
are found on a small copy in a few milliseconds, and small ones are searched for only when no big
one is there. The CNN detector, slower but more tolerant of pose, tilt, light and blur, runs last,
on a padded copy so that faces filling the frame (ID photos, tight crops) have some context.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np

from service.images import RGBImage
from service.kinds.face.faces import Box

HOG_WINDOW_PX = 80
# Each pass scales its smallest face to this, a margin over the window: at 78 px 1 of 12 LFW faces
# pasted into a bigger scene was missed, at 96 px none.
HOG_TARGET_PX = 96
# dlib's MMOD CNN face detector finds faces of about 80 px and up as well (measured on LFW faces
# scaled down); its cost grows with the copy's area (~0.2-0.4 s for 250 x 250 on one core), so it
# runs last and only looks for big faces, on a copy enlarged at most this much (tight crops).
CNN_WINDOW_PX = 80
CNN_MAX_UPSCALE = 2.0
# The narrowest face any pass can find: HOG's window on a copy upsampled once, the CNN's at its
# largest enlargement.
SMALLEST_FACE_PX = round(min(HOG_WINDOW_PX / 2, CNN_WINDOW_PX / CNN_MAX_UPSCALE))
# A detector: (copy, upsample) -> boxes (left, top, right, bottom) in the copy's pixels.
BoxFinder = Callable[[RGBImage, int], list[tuple[int, int, int, int]]]


@dataclass(frozen=True)
class DetectionPass:
    """One attempt: which detector, on what copy of the image."""

    detector: Literal["hog", "cnn"]
    min_face_fraction: float  # smallest face looked for, of the shorter image side
    pad_fraction: float = 0.0  # padding added on each side, of the longer side


@dataclass(frozen=True)
class Found:
    """A face box in original-image coordinates (left, top, right, bottom)."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        """Box width in pixels."""
        return self.right - self.left

    def box(self) -> Box:
        """The box on the pixel grid: its corners rounded, as dlib's rectangles take them."""
        left, top = round(self.left), round(self.top)
        return Box(left, top, round(self.right) - left, round(self.bottom) - top)

    def overlaps(self, other: Found) -> bool:
        """The same face found twice: the boxes share more than half of their union."""
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        shared = max(0.0, w) * max(0.0, h)
        union = (
            self.width * (self.bottom - self.top)
            + other.width * (other.bottom - other.top)
            - shared
        )
        return union > 0 and shared / union > 0.5

    def prominence(self, width: int, height: int) -> float:
        """How much this face is the picture's subject: its visible area, less the further off centre.

        The area inside the picture (a face cut off by the edge counts for what shows), times one
        minus the distance of the box's centre from the picture's centre over the half diagonal.
        A cut-off face at the edge beside a centred one of the same size is not the subject.
        """
        visible_w = max(0.0, min(float(width), self.right) - max(0.0, self.left))
        visible_h = max(0.0, min(float(height), self.bottom) - max(0.0, self.top))
        off_x = (self.left + self.right) / 2.0 - width / 2.0
        off_y = (self.top + self.bottom) / 2.0 - height / 2.0
        off_centre = math.hypot(off_x, off_y) / math.hypot(width / 2.0, height / 2.0)
        return visible_w * visible_h * max(0.0, 1.0 - off_centre)


@dataclass(frozen=True)
class Copy:
    """A resized, padded copy of the image: copy = original * scale + offset."""

    pixels: RGBImage
    scale: float
    offset: tuple[float, float]
    upsample: int

    def to_original(self, x: float, y: float) -> tuple[float, float]:
        """A point of the copy in original-image coordinates."""
        return (x - self.offset[0]) / self.scale, (y - self.offset[1]) / self.scale


def hog_plan(min_face_px: float) -> tuple[float, int]:
    """(scale, upsample) so that a face of min_face_px is HOG_TARGET_PX wide.

    The copy is never bigger than the image; where the face must grow, dlib upsamples it once.
    """
    if min_face_px >= HOG_TARGET_PX:
        return min(1.0, HOG_TARGET_PX / min_face_px), 0
    return min(1.0, HOG_TARGET_PX / 2 / min_face_px), 1


def cnn_scale(min_face_px: float) -> float:
    """The scale at which a face of min_face_px fills the CNN's 80 px window (at most doubling)."""
    return min(CNN_MAX_UPSCALE, CNN_WINDOW_PX / min_face_px)


def make_copy(image: RGBImage, step: DetectionPass) -> Copy:
    """The copy a pass detects on: scaled for its smallest face, padded with the edge pixels."""
    height, width = image.shape[:2]
    min_face = step.min_face_fraction * min(height, width)
    if step.detector == "hog":
        scale, upsample = hog_plan(min_face)
    else:
        scale, upsample = cnn_scale(min_face), 0
    pixels = image
    if scale != 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        shrink = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        pixels = np.asarray(cv2.resize(image, size, interpolation=shrink), dtype=np.uint8)
    pad = round(step.pad_fraction * max(pixels.shape[:2]))
    if pad:
        pixels = np.asarray(
            cv2.copyMakeBorder(pixels, pad, pad, pad, pad, cv2.BORDER_REPLICATE), dtype=np.uint8
        )
    return Copy(np.ascontiguousarray(pixels), scale, (pad, pad), upsample)


def run_pass(copy: Copy, find: BoxFinder) -> list[Found]:
    """Detect on one copy and map every box back to the original image."""
    found = []
    for left, top, right, bottom in find(copy.pixels, copy.upsample):
        x0, y0 = copy.to_original(left, top)
        x1, y1 = copy.to_original(right, bottom)
        found.append(Found(x0, y0, x1, y1))
    return found


def hog_boxes(detector: Any) -> BoxFinder:
    """dlib's HOG detector as a box finder."""
    return lambda pixels, upsample: [
        (r.left(), r.top(), r.right(), r.bottom()) for r in detector(pixels, upsample)
    ]


def cnn_boxes(detector: Any) -> BoxFinder:
    """dlib's CNN detector (in this process) as a box finder."""
    return lambda pixels, upsample: [
        (d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom())
        for d in detector(pixels, upsample)
    ]
