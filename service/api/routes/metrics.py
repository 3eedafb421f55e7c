"""GET /metrics in Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.api.deps import MetricsDep, RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response)
async def metrics(metrics: MetricsDep, runtime: RuntimeDep) -> Response:
    """Requests and latency by route and status, inference time and batch sizes, model info."""
    metrics.ready.set(1 if runtime.ready else 0)
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
