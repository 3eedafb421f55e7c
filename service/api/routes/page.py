"""GET /: the kind's page; its assets and the shared ones are served by the app (no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

# The stylesheet and icon every kind's page shares, served at /static/common.
COMMON_STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"

router = APIRouter(tags=["page"])


@router.get("/", include_in_schema=False)
async def index(request: Request) -> FileResponse:
    """The page of the kind this deployment serves."""
    return FileResponse(request.app.state.kind.static_dir / "index.html", media_type="text/html")
