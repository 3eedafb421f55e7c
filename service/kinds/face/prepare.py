"""Bytes to model inputs: decode and crop each image off the event loop, in parallel."""

from __future__ import annotations

import asyncio
import base64
import time
from concurrent.futures import Executor
from dataclasses import dataclass

import cv2

from service.config import Settings
from service.images import ImageLimits, decode_upright
from service.kinds.face.crop import FaceCropper
from service.kinds.face.faces import Box, FaceCrop, FaceTooSmall
from service.kinds.face.schemas import BoxOut, FaceOut
from service.metrics import Metrics


@dataclass(frozen=True)
class Prepared:
    """One upload after decoding and cropping."""

    crop: FaceCrop
    width: int  # of the upright uploaded image
    height: int
    scale: float  # uploaded pixels per decoded pixel (boxes are found on the decoded array)


def prepare_one(
    data: bytes,
    field: str,
    cropper: FaceCropper,
    limits: ImageLimits,
    *,
    min_face_px: int | None = None,
) -> Prepared:
    """Decode one upload and crop its face; 422 face_too_small under the model's minimum face.

    The width compared is the detector's box in the decoded picture, the pixels the chip is cut
    from (evaluation/face_size.py measured the minimum the same way).
    """
    image = decode_upright(data, field=field, limits=limits)
    crop = cropper.crop(image.pixels, field=field)
    if min_face_px is not None and crop.face.w < min_face_px:
        raise FaceTooSmall(field, crop.face.w, min_face_px)
    return Prepared(crop, image.width, image.height, image.scale)


async def prepare_faces(
    images: dict[str, bytes],
    cropper: FaceCropper,
    settings: Settings,
    metrics: Metrics,
    pool: Executor,
    *,
    min_face_px: int | None = None,
) -> dict[str, Prepared]:
    """All images on the decode pool's threads; the first user error (in field order) is reported."""
    limits = ImageLimits(settings.max_upload_bytes, settings.max_image_pixels)

    def timed(data: bytes, field: str) -> Prepared:
        started = time.perf_counter()
        try:
            return prepare_one(data, field, cropper, limits, min_face_px=min_face_px)
        finally:
            metrics.preprocess.observe(time.perf_counter() - started)

    names = list(images)
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(
        *(loop.run_in_executor(pool, timed, images[n], n) for n in names), return_exceptions=True
    )
    out: dict[str, Prepared] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            raise result
        out[name] = result
    return out


def in_upload_pixels(box: Box, scale: float) -> BoxOut:
    """A box found on the decoded array, in pixels of the upright uploaded image (any recipe)."""
    return BoxOut(
        x=round(box.x * scale),
        y=round(box.y * scale),
        width=round(box.w * scale),
        height=round(box.h * scale),
    )


def face_out(prepared: Prepared, *, with_png: bool) -> FaceOut:
    """API view of one face crop; optionally the exact model input as a PNG data: URL."""
    crop, scale = prepared.crop, prepared.scale
    png = None
    if with_png:
        pixels = crop.pixels if crop.pixels.shape[2] == 3 else crop.pixels[:, :, 0]
        bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if pixels.ndim == 3 else pixels
        ok, buf = cv2.imencode(".png", bgr)
        if ok:
            png = "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode()
    return FaceOut(
        box=in_upload_pixels(crop.face, scale),
        crop=in_upload_pixels(crop.crop, scale),
        faces_found=crop.faces_found,
        angle=round(crop.angle, 2),
        landmarks=[[round(x * scale), round(y * scale)] for x, y in crop.landmarks] or None,
        image_width=prepared.width,
        image_height=prepared.height,
        crop_png=png,
    )
