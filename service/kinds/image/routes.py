"""POST /predict: one image (multipart field or JSON base64) to its label and probabilities."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Annotated

import cv2
import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from numpy.typing import NDArray

from service.api.deps import ApiKeyDep, MetricsDep, RequestIdDep, RuntimeDep, SettingsDep
from service.api.routes.openapi_bodies import error_responses, image_body
from service.errors import ApiError
from service.images import ImageLimits, decode_upright
from service.kinds.classification import model_ref, predictions
from service.kinds.image.manifest import ImageManifest
from service.kinds.image.preprocess import NoInkFound, prepare
from service.kinds.image.schemas import ImagePrediction
from service.uploads import read_images

router = APIRouter(tags=["classification"], dependencies=[ApiKeyDep])

FIELD = "image"
ReturnInput = Annotated[bool, Query(description="include the exact model input as a PNG data: URL")]


class BlankImage(ApiError):
    """A valid image in which the recipe finds nothing to classify (no ink on the paper)."""

    status_code = 422
    code = "blank_image"


def get_manifest(request: Request) -> ImageManifest:
    """The served model's manifest (503 until the kind has opened it)."""
    manifest: ImageManifest = request.app.state.kind.manifest
    return manifest


ManifestDep = Annotated[ImageManifest, Depends(get_manifest)]


def model_pixels(data: bytes, manifest: ImageManifest, limits: ImageLimits) -> NDArray[np.uint8]:
    """Decode the upload upright and prepare it by the manifest's recipe (training's function)."""
    image = decode_upright(data, field=FIELD, limits=limits)
    try:
        return prepare(image.pixels, manifest.preprocessing, manifest.input_shape)
    except NoInkFound as exc:
        raise BlankImage(f"nothing to classify in '{FIELD}': {exc}", field=FIELD) from None


def as_png(pixels: NDArray[np.uint8]) -> str | None:
    """The model input as a PNG data: URL (what the page shows as 'the model saw')."""
    shown = pixels[:, :, 0] if pixels.shape[2] == 1 else cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", shown)
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode() if ok else None


@router.post(
    "/predict",
    response_model=ImagePrediction,
    responses=error_responses(400, 401, 413, 415, 422, 503),
    openapi_extra=image_body((FIELD,), {FIELD: "the image to classify"}),
)
async def predict(
    request: Request,
    runtime: RuntimeDep,
    manifest: ManifestDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
    return_input: ReturnInput = False,
) -> ImagePrediction:
    """The image's most likely label and every label's probability."""
    loaded, queue = runtime.require_ready()
    limits = ImageLimits(settings.max_upload_bytes, settings.max_image_pixels)
    async with runtime.admission.place():
        images = await read_images(request, (FIELD,), settings.max_request_bytes)
        async with runtime.admission.turn():
            started = time.perf_counter()
            pixels = await asyncio.get_running_loop().run_in_executor(
                runtime.preprocess_pool, model_pixels, images[FIELD], manifest, limits
            )
            metrics.preprocess.observe(time.perf_counter() - started)
            rows = await queue.run(pixels[np.newaxis].astype(np.float32))
    answer = predictions(rows, manifest.labels)[0]
    return ImagePrediction(
        label=answer.label,
        probabilities=answer.probabilities,
        model=model_ref(loaded.manifest.name, loaded.manifest.version),
        input_png=as_png(pixels) if return_input else None,
        request_id=request_id,
    )
