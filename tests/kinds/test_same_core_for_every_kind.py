"""Readiness, API keys, limits, metrics and the error JSON behave the same whatever the model's kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ClientFactory

KEY = "k-" + "x" * 30
DATA = Path(__file__).resolve().parents[1] / "data"


def request_for(kind: str) -> dict[str, Any]:
    """One valid POST /predict of the kind, as httpx keyword arguments."""
    if kind == "face":
        faces = DATA / "faces"
        files = {
            f: (f"{f}.jpg", (faces / "a1.jpg").read_bytes(), "image/jpeg")
            for f in ("anchor", "img1", "img2")
        }
        return {"files": files}
    if kind == "image":
        photo = DATA / "examples" / "digit-paper-7.jpg"  # a 360x480 JPEG "photo"
        return {"files": {"image": ("d.jpg", photo.read_bytes(), "image/jpeg")}}
    return {"json": {"rows": [{"age": 39, "hours": 40, "workclass": "?"}]}}


@pytest.fixture(params=["face", "image", "tabular"])
def kind_model(request: pytest.FixtureRequest) -> tuple[str, Path]:
    fixture = {"face": "tiny_model", "image": "tiny_image_model", "tabular": "tiny_tabular_model"}
    return request.param, request.getfixturevalue(fixture[request.param])


def test_every_kind_is_ready_only_when_loaded_and_asks_for_the_key(
    make_client: ClientFactory, kind_model: tuple[str, Path]
) -> None:
    kind, model = kind_model
    with make_client(model_uri=str(model), api_keys=KEY) as client:
        assert client.get("/readyz").json() == {"status": "ready", "detail": None}
        refused = client.post("/predict", **request_for(kind))
        assert refused.status_code == 401
        assert refused.json()["error"] == {
            "code": "unauthorized",
            "field": "X-API-Key",
            "message": "missing X-API-Key header",
        }
        assert client.get("/v1/model").status_code == 401
        answered = client.post("/predict", headers={"X-API-Key": KEY}, **request_for(kind))
        assert answered.status_code == 200, answered.text
        assert answered.json()["request_id"] == answered.headers["X-Request-ID"]
        metrics = client.get("/metrics").text
    assert "facesim_inference_batch_size_count 1.0" in metrics
    assert 'facesim_errors_total{code="unauthorized"} 2.0' in metrics


def test_every_kind_refuses_a_body_over_the_limit_with_the_error_json(
    make_client: ClientFactory, kind_model: tuple[str, Path]
) -> None:
    kind, model = kind_model
    with make_client(model_uri=str(model), max_request_bytes=2048) as client:
        response = client.post(
            "/predict",
            **request_for(kind)
            if kind != "tabular"
            else {"json": {"rows": [{"age": 39, "hours": 40, "workclass": "?"}] * 100}},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_every_kind_refuses_an_unknown_query_parameter_naming_it(
    make_client: ClientFactory, kind_model: tuple[str, Path]
) -> None:
    kind, model = kind_model
    with make_client(model_uri=str(model)) as client:
        refused = client.post("/predict", params={"threshold": "0.5"}, **request_for(kind))
        declared = {"face": "return_crops", "image": "return_input", "tabular": None}[kind]
        accepted = client.post(
            "/predict", params={declared: "true"} if declared else {}, **request_for(kind)
        )
        probe = client.get("/healthz", params={"t": "123"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == "threshold"
    assert "unknown query parameter 'threshold'" in error["message"]
    assert accepted.status_code == 200, accepted.text
    assert probe.status_code == 200  # GET routes still tolerate cache-busting parameters
