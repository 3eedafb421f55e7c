"""POST /predict (anchor vs two candidates) and POST /verify (two images)."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request

from service.api.deps import ApiKeyDep, MetricsDep, RequestIdDep, RuntimeDep, SettingsDep
from service.api.routes.openapi_bodies import error_responses, image_body
from service.config import Settings
from service.kinds.face.model import FaceModel
from service.kinds.face.prepare import Prepared, face_out, prepare_faces
from service.kinds.face.schemas import PredictResponse, Score, Scores, VerifyResponse
from service.kinds.face.served import FaceModelDep
from service.kinds.face.verdicts import Verdict, compare, judge
from service.metrics import Metrics
from service.runtime import LoadedModel, Runtime
from service.schemas import ModelRef
from service.uploads import read_images

router = APIRouter(tags=["similarity"], dependencies=[ApiKeyDep])

PREDICT_FIELDS = ("anchor", "img1", "img2")
VERIFY_FIELDS = ("img1", "img2")
PURPOSE = {
    "anchor": "the reference face",
    "img1": "first candidate",
    "img2": "second candidate",
}
ERRORS = error_responses(400, 401, 413, 415, 422, 503)
ReturnCrops = Annotated[
    bool, Query(description="include each exact model input as a PNG data: URL")
]


async def _run(
    request: Request,
    runtime: Runtime,
    face: FaceModel,
    settings: Settings,
    metrics: Metrics,
    fields: tuple[str, ...],
) -> tuple[LoadedModel, dict[str, Prepared], tuple[float, float]]:
    """Read (once placed) and crop (in turn) the fields, then one model call.

    Two fields are compared as (img1, img2, img2).
    """
    loaded, queue = runtime.require_ready()
    async with runtime.admission.place():
        images = await read_images(request, fields, settings.max_request_bytes)
        async with runtime.admission.turn():
            with queue.preparing():
                faces = await prepare_faces(
                    images,
                    face.cropper,
                    settings,
                    metrics,
                    runtime.preprocess_pool,
                    min_face_px=face.manifest.min_face_px,
                )
            chips = (faces[n].crop.pixels[np.newaxis] for n in (fields[0], fields[1], fields[-1]))
            row = (await queue.run(*chips))[0]
    return loaded, faces, (float(row[0]), float(row[1]))


def _score(verdict: Verdict) -> Score:
    """API view of one candidate's verdict."""
    return Score(
        distance=verdict.distance,
        same_person=verdict.same_person,
        probability=verdict.probability,
    )


def _model_ref(loaded: LoadedModel) -> ModelRef:
    """Name and version of the answering model."""
    return ModelRef(name=loaded.manifest.name, version=loaded.manifest.version)


@router.post(
    "/predict",
    response_model=PredictResponse,
    responses=ERRORS,
    openapi_extra=image_body(PREDICT_FIELDS, PURPOSE),
)
async def predict(
    request: Request,
    runtime: RuntimeDep,
    face: FaceModelDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
    return_crops: ReturnCrops = False,
) -> PredictResponse:
    """Which of img1 and img2 shows the same person as the anchor, with distances and verdicts."""
    loaded, faces, (d1, d2) = await _run(request, runtime, face, settings, metrics, PREDICT_FIELDS)
    result = compare(d1, d2, face.threshold, face.slope)
    return PredictResponse(
        most_similar=result.most_similar,
        scores=Scores(img1=_score(result.img1), img2=_score(result.img2)),
        threshold=face.threshold,
        model=_model_ref(loaded),
        faces={n: face_out(faces[n], with_png=return_crops) for n in PREDICT_FIELDS},
        request_id=request_id,
    )


@router.post(
    "/verify",
    response_model=VerifyResponse,
    responses=ERRORS,
    openapi_extra=image_body(VERIFY_FIELDS, {"img1": "first face", "img2": "second face"}),
)
async def verify(
    request: Request,
    runtime: RuntimeDep,
    face: FaceModelDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
    return_crops: ReturnCrops = False,
) -> VerifyResponse:
    """Whether img1 and img2 show the same person."""
    loaded, faces, (distance, _) = await _run(
        request, runtime, face, settings, metrics, VERIFY_FIELDS
    )
    verdict = judge(distance, face.threshold, face.slope)
    return VerifyResponse(
        distance=verdict.distance,
        same_person=verdict.same_person,
        probability=verdict.probability,
        threshold=face.threshold,
        model=_model_ref(loaded),
        faces={n: face_out(faces[n], with_png=return_crops) for n in VERIFY_FIELDS},
        request_id=request_id,
    )
