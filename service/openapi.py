"""The OpenAPI document as this deployment behaves: its version, its model, auth only when on."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.config import Settings
from service.runtime import Runtime

ERRORS = 'Errors are always `{"error": {"code", "field", "message"}}`.'


def describe(runtime: Runtime) -> str:
    """The description: the kind's summary, and the model this process serves once loaded."""
    intro = f"{runtime.kind.summary} {ERRORS}"
    if runtime.loaded is None:
        return f"{intro}\n\nModel: still loading (see `/readyz` and `/v1/model`)."
    return f"{intro}\n\nModel: {runtime.kind.describe()}"


def without_auth(schema: dict[str, Any]) -> None:
    """Drop the API-key scheme, its padlocks and the 401 answers: with no API_KEYS none applies."""
    schema.get("components", {}).pop("securitySchemes", None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.pop("security", None)
            operation.get("responses", {}).pop("401", None)


def install(app: FastAPI, settings: Settings, runtime: Runtime) -> None:
    """Wrap app.openapi: FastAPI builds the document; it is kept once the model's name is in it."""
    generate = app.openapi
    final = False

    def openapi() -> dict[str, Any]:
        nonlocal final
        if not final:
            app.openapi_schema = None
            app.description = describe(runtime)
            schema = generate()
            if not settings.api_key_set:
                without_auth(schema)
            final = runtime.loaded is not None
            if final:
                runtime.kind.document(schema)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
