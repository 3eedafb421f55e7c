"""Liveness, readiness, model info, metrics, docs and the error shape of routing errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory, wait_ready


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "alive"
    assert client.get("/readyz").json()["status"] == "ready"


def test_readyz_is_503_until_the_model_is_loaded(
    make_client: ClientFactory, tiny_model: Path, held_model_load: threading.Event
) -> None:
    with make_client(model_uri=str(tiny_model), ready=False) as c:
        for _ in range(3):  # however often it is asked while the load is held
            held = c.get("/readyz")
            assert held.status_code == 503
            assert held.json()["error"]["code"] == "not_ready"
            assert held.headers["retry-after"] == "5"
            assert c.get("/healthz").status_code == 200
            time.sleep(0.05)
        held_model_load.set()
        wait_ready(c)
        assert c.get("/readyz").json() == {"status": "ready", "detail": None}


def test_model_info(client: TestClient, tiny_model) -> None:  # type: ignore[no-untyped-def]
    info = client.get("/v1/model").json()
    assert info["name"] == "tiny" and info["version"] == "0.0.1"
    assert info["source_uri"] == str(tiny_model)
    assert len(info["sha256"]) == 64 and info["loaded_at"]
    assert info["input_shape"] == [32, 32, 3]


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/nope")
    text = client.get("/metrics").text
    assert 'facesim_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert 'facesim_model_info{name="tiny"' in text
    assert "facesim_inference_seconds_bucket" in text
    assert "facesim_ready 1.0" in text


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.get("/predict")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_bad_query_parameter_is_named(client: TestClient) -> None:
    response = client.post("/predict?return_crops=maybe", json={})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "return_crops"


def test_openapi_documents_both_body_kinds_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert set(body["multipart/form-data"]["schema"]["required"]) == {"anchor", "img1", "img2"}
    assert body["application/json"]["examples"]
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "fonts.googleapis" not in redoc.text
    assert client.get("/static/docs/redoc.standalone.js").status_code == 200


def test_docs_can_be_turned_off(make_client, tiny_model) -> None:  # type: ignore[no-untyped-def]
    with make_client(model_uri=str(tiny_model), docs_enabled=False) as c:
        assert c.get("/docs").status_code == 404
        assert c.get("/redoc").status_code == 404
        assert c.get("/openapi.json").status_code == 404


def test_page_and_assets_are_served_by_the_app(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "facesim" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/common/app.css").status_code == 200


def test_request_id_is_passed_through(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers[
        "x-request-id"
    ]
    assert generated != "bad id with spaces" and len(generated) == 32
