"""The JSON CORS middleware: Starlette's decisions, the API's error shape."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.cors import JsonCORSMiddleware

ORIGIN = "https://app.example"


def client() -> TestClient:
    app = FastAPI()

    @app.post("/x")
    def x() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(
        JsonCORSMiddleware,
        allow_origins=[ORIGIN],
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
    )
    return TestClient(app)


def preflight(**headers: str) -> dict[str, str]:
    return {"Origin": ORIGIN, "Access-Control-Request-Method": "POST", **headers}


def test_an_allowed_preflight_is_left_as_starlette_answers_it() -> None:
    response = client().options("/x", headers=preflight())
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_every_failure_is_named_and_the_first_is_the_field() -> None:
    response = client().options(
        "/x",
        headers=preflight(
            Origin="https://evil.example",
            **{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-a"},
        ),
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "cors_refused" and error["field"] == "Origin"
    for part in ("'https://evil.example'", "'PUT'", "content-type"):
        assert part in error["message"]
    assert "access-control-allow-origin" not in response.headers
