"""Liveness and readiness are different questions."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.api.deps import RuntimeDep
from service.api.routes.openapi_bodies import error_responses
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is alive and its event loop answers (used by the container health check)."""
    return Health(status="alive")


@router.get("/readyz", response_model=Health, responses=error_responses(503))
async def readyz(runtime: RuntimeDep) -> Health | JSONResponse:
    """200 only once the model is downloaded, verified, loaded and warmed (used by load balancers)."""
    runtime.require_ready()
    return Health(status="ready")
