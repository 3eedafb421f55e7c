"""The declared query parameters of a route come from FastAPI's own route definitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.api.query_params import declared_query


def _paged(limit: int = 10, cursor: Annotated[str | None, Query(alias="after")] = None) -> int:
    return limit


def test_declared_query_includes_dependencies_and_aliases() -> None:
    router = APIRouter()

    @router.post("/x")
    def handler(paged: Annotated[int, Depends(_paged)], verbose: bool = False) -> None:
        """Route under test."""

    (route,) = router.routes
    assert declared_query(route.dependant) == {"limit", "after", "verbose"}  # type: ignore[attr-defined]
