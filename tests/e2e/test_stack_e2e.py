"""The local stack end to end: real nginx/TLS, the real service, the model from moto's S3 server."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def multipart(files: dict[str, Path], fields: dict[str, str]) -> dict[str, Any]:
    """{'anchor': 'a1', ...} -> httpx files= argument."""
    return {
        field: (f"{name}.jpg", files[name].read_bytes(), "image/jpeg")
        for field, name in fields.items()
    }


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


def test_service_is_ready_through_nginx_with_a_verified_certificate(stack: Stack) -> None:
    with stack.client() as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_model_was_downloaded_from_the_moto_bucket(stack: Stack, bundled_model: Path) -> None:
    with stack.client() as client:
        info = client.get("/v1/model").json()
    assert stack.model_uri.startswith("s3://facesim-models/")
    assert info["source_uri"] == stack.model_uri
    assert info["sha256"] == hashlib.sha256(bundled_model.read_bytes()).hexdigest()
    cached = list((stack.run_dir / "model-cache").rglob("*.h5"))
    assert cached, "the service should have downloaded the .h5 into the stack's empty cache"


def test_predict_through_nginx_equals_predict_direct(
    stack: Stack, face_files: dict[str, Path]
) -> None:
    fields = {"anchor": "a1", "img1": "a2", "img2": "b1"}
    with stack.client() as via_nginx, stack.direct() as direct:
        proxied = via_nginx.post(
            "/predict", files=multipart(face_files, fields), headers={"X-Request-ID": "e2e-p-1"}
        )
        straight = direct.post("/predict", files=multipart(face_files, fields))
    assert proxied.status_code == straight.status_code == 200
    assert without_request_id(proxied.json()) == without_request_id(straight.json())
    assert proxied.json()["request_id"] == "e2e-p-1" == proxied.headers["x-request-id"]


def test_verify_through_nginx_equals_verify_direct(
    stack: Stack, face_files: dict[str, Path]
) -> None:
    fields = {"img1": "a1", "img2": "b1"}
    with stack.client() as via_nginx, stack.direct() as direct:
        proxied = via_nginx.post("/verify", files=multipart(face_files, fields))
        straight = direct.post("/verify", files=multipart(face_files, fields))
    assert proxied.status_code == straight.status_code == 200
    assert without_request_id(proxied.json()) == without_request_id(straight.json())


def test_json_base64_predict_through_nginx_matches_multipart(
    stack: Stack, face_files: dict[str, Path]
) -> None:
    fields = {"anchor": "a1", "img1": "a2", "img2": "b1"}
    payload = {
        field: base64.b64encode(face_files[name].read_bytes()).decode()
        for field, name in fields.items()
    }
    with stack.client() as client:
        as_json = client.post("/predict", content=json.dumps(payload).encode(),
                              headers={"Content-Type": "application/json"})  # fmt: skip
        as_form = client.post("/predict", files=multipart(face_files, fields))
    assert as_json.status_code == 200
    assert without_request_id(as_json.json()) == without_request_id(as_form.json())


def test_app_errors_reach_the_client_unchanged_through_nginx(stack: Stack) -> None:
    bad = {"anchor": ("a.txt", b"not an image", "text/plain")}
    with stack.client() as client, stack.direct() as direct:
        proxied = client.post("/predict", files=bad)
        straight = direct.post("/predict", files=bad)
    assert 400 <= proxied.status_code < 500
    assert proxied.status_code == straight.status_code
    assert proxied.json() == straight.json()
    assert set(proxied.json()["error"]) == {"code", "field", "message"}


def test_oversized_upload_is_refused_by_nginx_before_the_service(stack: Stack) -> None:
    with stack.client() as client:
        response = client.post(
            "/predict",
            files={"anchor": ("big.jpg", b"\xff" * (32 * 1024 * 1024 + 1), "image/jpeg")},
            headers={"X-Request-ID": "e2e-too-large"},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    entry = stack.access_log_entry("e2e-too-large")
    assert entry["status"] == 413
    assert entry["upstream_status"] == ""  # the service never saw it


def test_http_redirects_to_https(stack: Stack) -> None:
    response = httpx.get(f"{stack.http_url}/readyz")
    assert response.status_code == 301
    assert response.headers["location"] == f"{stack.https_url}/readyz"
