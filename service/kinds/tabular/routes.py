"""POST /predict: rows of features (JSON) to one label and its probabilities per row."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from python_multipart.multipart import parse_options_header

from service.api.deps import ApiKeyDep, RequestIdDep, RuntimeDep, SettingsDep
from service.api.routes.openapi_bodies import error_responses
from service.errors import UnsupportedMediaType
from service.kinds.classification import model_ref, predictions
from service.kinds.tabular.schemas import TabularPredictions
from service.kinds.tabular.served import TabularModel
from service.uploads import read_body

router = APIRouter(tags=["classification"], dependencies=[ApiKeyDep])

# The schema of the rows is the model's: /openapi.json gets it once the model is loaded.
REQUEST_SCHEMA_REF = "#/components/schemas/PredictRequest"


def get_model(request: Request) -> TabularModel:
    """The served model's features, labels and request schema (503 until opened)."""
    model: TabularModel = request.app.state.kind.model
    return model


TabularDep = Annotated[TabularModel, Depends(get_model)]


@router.post(
    "/predict",
    response_model=TabularPredictions,
    responses=error_responses(401, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REQUEST_SCHEMA_REF}}},
        }
    },
)
async def predict(
    request: Request,
    runtime: RuntimeDep,
    model: TabularDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
) -> TabularPredictions:
    """Each row's most likely label and every label's probability."""
    loaded, queue = runtime.require_ready()
    media, _ = parse_options_header(request.headers.get("content-type", ""))
    if media != b"application/json":
        shown = request.headers.get("content-type") or "none"
        raise UnsupportedMediaType(f"send the rows as application/json, not {shown}")
    async with runtime.admission.place():
        rows = model.parse(await read_body(request, settings.max_request_bytes))
        async with runtime.admission.turn():
            answer = await queue.run(*model.encode(rows))
    return TabularPredictions(
        predictions=predictions(answer, model.manifest.labels),
        model=model_ref(loaded.manifest.name, loaded.manifest.version),
        request_id=request_id,
    )
