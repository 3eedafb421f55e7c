"""Colour JPEGs decoded straight into an array, at the reduced scale Pillow's draft chose.

Pillow and OpenCV decode with the same libjpeg-turbo (the pixels are identical, tested), but
Pillow's array export copies through tobytes(): for a phone photo decoded at half size (2016 x 1512)
that, plus the copy exif_transpose() makes, cost more than the decoding itself. Here the decoder
writes the array, and the EXIF orientation is applied on it with one copy at most.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

RGBImage = NDArray[np.uint8]

# OpenCV's flag for decoding at 1/1, 1/2, 1/4 or 1/8 of the stored size (libjpeg's DCT scaling).
_REDUCED = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}
_START_OF_SCAN, _END_OF_IMAGE = b"\xff\xda", b"\xff\xd9"


def complete(data: bytes) -> bool:
    """An end-of-image marker after the first scan: the file was not cut short.

    Entropy-coded data never holds 0xFFD9 (a 0xFF byte in it is stuffed as 0xFF00), so a file cut
    anywhere in its scans has none after them; data a camera appends after the marker is allowed.
    """
    scan = data.find(_START_OF_SCAN)
    return scan >= 0 and data.find(_END_OF_IMAGE, scan) >= 0


def decode_colour(data: bytes, reduction: int, size: tuple[int, int]) -> RGBImage | None:
    """The stored (unrotated) pixels as RGB at 1/reduction scale; None where Pillow must decode.

    size is what Pillow's draft announced (width, height); any disagreement means "not ours".
    """
    flag = _REDUCED.get(reduction)
    if flag is None or not complete(data):
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    bgr = cv2.imdecode(buffer, flag | cv2.IMREAD_IGNORE_ORIENTATION)
    if bgr is None or bgr.ndim != 3 or (bgr.shape[1], bgr.shape[0]) != size:
        return None
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def orient(pixels: RGBImage, orientation: int) -> RGBImage:
    """The upright picture for an EXIF orientation (1-8), as Pillow's exif_transpose turns it."""
    if orientation == 2:
        turned = cv2.flip(pixels, 1)
    elif orientation == 3:
        turned = cv2.rotate(pixels, cv2.ROTATE_180)
    elif orientation == 4:
        turned = cv2.flip(pixels, 0)
    elif orientation == 5:
        turned = cv2.transpose(pixels)
    elif orientation == 6:
        turned = cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE)
    elif orientation == 7:
        turned = cv2.rotate(cv2.transpose(pixels), cv2.ROTATE_180)
    elif orientation == 8:
        turned = cv2.rotate(pixels, cv2.ROTATE_90_COUNTERCLOCKWISE)
    else:
        return pixels
    return np.ascontiguousarray(turned, dtype=np.uint8)
