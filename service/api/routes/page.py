"""GET /: the demo page; its assets live in service/static and are served by the app (no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"

router = APIRouter(tags=["page"])


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    """The page: choose, drop or capture three images and see the verdict."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
