"""Request dependencies declared as Annotated aliases, as the routes use them."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from service.config import Settings
from service.errors import Unauthorized
from service.metrics import Metrics
from service.runtime import Runtime

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="required only when API_KEYS is set"
)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_runtime(request: Request) -> Runtime:
    """The process's model runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_metrics(request: Request) -> Metrics:
    """The app's metrics registry."""
    metrics: Metrics = request.app.state.metrics
    return metrics


def get_request_id(request: Request) -> str:
    """The id the middleware gave this request."""
    return str(request.scope.get("state", {}).get("request_id", "-"))


SettingsDep = Annotated[Settings, Depends(get_settings)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
RequestIdDep = Annotated[str, Depends(get_request_id)]


def require_api_key(
    settings: SettingsDep, key: Annotated[str | None, Security(api_key_header)] = None
) -> None:
    """When API_KEYS is set, X-API-Key must be one of them (compared in constant time)."""
    keys = settings.api_key_set
    if not keys:
        return
    if key is None:
        raise Unauthorized("missing X-API-Key header", field="X-API-Key")
    if not any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
        raise Unauthorized("invalid API key", field="X-API-Key")


ApiKeyDep = Depends(require_api_key)
