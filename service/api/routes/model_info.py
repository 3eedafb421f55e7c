"""GET /v1/model: what is being served and where it came from."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import ApiKeyDep, RuntimeDep
from service.api.routes.openapi_bodies import error_responses
from service.schemas import ModelInfo

router = APIRouter(tags=["model"], dependencies=[ApiKeyDep])


@router.get("/v1/model", response_model=ModelInfo, responses=error_responses(401, 503))
async def model_info(runtime: RuntimeDep) -> ModelInfo:
    """Name, version, kind, sha256, source URI and load time, and the kind's own facts."""
    loaded, _ = runtime.require_ready()
    return ModelInfo(
        name=loaded.manifest.name,
        version=loaded.manifest.version,
        kind=loaded.manifest.kind,
        sha256=loaded.sha256,
        source_uri=loaded.source_uri,
        loaded_at=loaded.loaded_at,
        **runtime.kind.info(),
    )
