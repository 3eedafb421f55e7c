"""Bytes to model inputs: decode and crop each image off the event loop, in parallel."""

from __future__ import annotations

import asyncio
import base64
import time
from concurrent.futures import Executor

import cv2

from service.config import Settings
from service.faces import FaceCrop
from service.images import ImageLimits, decode_image
from service.metrics import Metrics
from service.runtime import LoadedModel
from service.schemas import BoxOut, FaceOut

# One upload after decoding and cropping: the crop, and the upright image's width and height.
Prepared = tuple[FaceCrop, int, int]


def prepare_one(data: bytes, field: str, model: LoadedModel, limits: ImageLimits) -> Prepared:
    """Decode one upload and crop its face with the model's recipe."""
    image = decode_image(data, field=field, limits=limits)
    height, width, channels = model.input_shape
    crop = model.cropper.crop(image, size=(height, width), channels=channels, field=field)
    return crop, image.shape[1], image.shape[0]


async def prepare_faces(
    images: dict[str, bytes],
    model: LoadedModel,
    settings: Settings,
    metrics: Metrics,
    pool: Executor,
) -> dict[str, Prepared]:
    """All images on the decode pool's threads; the first user error (in field order) is reported."""
    limits = ImageLimits(settings.max_upload_bytes, settings.max_image_pixels)

    def timed(data: bytes, field: str) -> Prepared:
        started = time.perf_counter()
        try:
            return prepare_one(data, field, model, limits)
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


def face_out(crop: FaceCrop, width: int, height: int, *, with_png: bool) -> FaceOut:
    """API view of one face crop; optionally the exact model input as a PNG data: URL."""
    png = None
    if with_png:
        pixels = crop.pixels if crop.pixels.shape[2] == 3 else crop.pixels[:, :, 0]
        bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if pixels.ndim == 3 else pixels
        ok, buf = cv2.imencode(".png", bgr)
        if ok:
            png = "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode()
    return FaceOut(
        box=BoxOut(**crop.face.as_dict()),
        crop=BoxOut(**crop.crop.as_dict()),
        faces_found=crop.faces_found,
        angle=round(crop.angle, 2),
        landmarks=[list(p) for p in crop.landmarks] or None,
        image_width=width,
        image_height=height,
        crop_png=png,
    )
