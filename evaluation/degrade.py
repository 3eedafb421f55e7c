"""The pictures a caller might send instead of a good photo: the same face smaller, or heavily compressed.

"Face size" is the width of the detector's box, in pixels of the picture sent (the picture the
service decodes; for these small pictures the uploaded and decoded pixels are the same). A picture
is resized as a whole so that the box found on the original would be `size` pixels wide, and sent
losslessly (PNG) so that only the size changes; a compressed one keeps its size and is re-encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Literal

import cv2
import numpy as np
from PIL import Image

from service.images import RGBImage


@dataclass(frozen=True)
class Condition:
    """One way of sending the first (or both) photos of a pair."""

    name: str
    kind: Literal["original", "size", "jpeg", "webp"]
    value: int = 0  # face width in px (size) or encoder quality (jpeg, webp)


ORIGINAL = Condition("original", "original")


def conditions(
    sizes: tuple[int, ...], jpeg: tuple[int, ...], webp: tuple[int, ...]
) -> list[Condition]:
    """The sweep's conditions: the original file, each face size, each compression."""
    return [
        ORIGINAL,
        *(Condition(f"{s} px", "size", s) for s in sizes),
        *(Condition(f"JPEG q{q}", "jpeg", q) for q in jpeg),
        *(Condition(f"WebP q{q}", "webp", q) for q in webp),
    ]


def resized(image: RGBImage, scale: float) -> RGBImage:
    """The whole picture scaled (area averaging when shrinking, as a phone or browser would)."""
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def encoded(image: RGBImage, fmt: str, quality: int | None = None) -> bytes:
    """The picture as a file of this format (PNG is lossless)."""
    out = BytesIO()
    options = {} if quality is None else {"quality": quality}
    Image.fromarray(image).save(out, format=fmt, **options)
    return out.getvalue()


def degraded(original: bytes, image: RGBImage, face_width: int, condition: Condition) -> bytes:
    """The bytes sent for this condition; face_width is the detector's box on the original."""
    if condition.kind == "original":
        return original
    if condition.kind == "size":
        return encoded(resized(image, condition.value / face_width), "PNG")
    return encoded(image, condition.kind.upper(), condition.value)
