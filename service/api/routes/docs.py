"""GET /docs and /redoc with Swagger UI and ReDoc served by the app itself (no CDN)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

# The asset files ship inside the fastapi-offline wheel; the app mounts them at DOCS_STATIC_URL.
DOCS_STATIC_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_STATIC_URL = "/static/docs"
OPENAPI_URL = "/openapi.json"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    """Interactive API documentation."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="facesim API",
        swagger_js_url=f"{DOCS_STATIC_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_STATIC_URL}/swagger-ui.css",
        swagger_favicon_url="/static/common/favicon.svg",
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    """Reference API documentation."""
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title="facesim API",
        redoc_js_url=f"{DOCS_STATIC_URL}/redoc.standalone.js",
        redoc_favicon_url="/static/common/favicon.svg",
        with_google_fonts=False,
    )
