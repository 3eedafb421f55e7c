"""nginx's guards answer in the service's JSON error shape: 413, 429, 503, 504."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from devstack import processes
from devstack.nginx import DEFAULT_MAX_REQUEST_BYTES
from tests.nginx.standin import Front

pytestmark = [pytest.mark.e2e]


def json_error(response: httpx.Response, status: int) -> str:
    """Assert the service's error shape (from nginx, security headers still on); return the code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "field", "message"}
    assert body["error"]["field"] is None
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["code"])


def test_body_at_the_service_limit_is_proxied(front: Front) -> None:
    """Exactly MAX_REQUEST_BYTES passes (through a temp file, as root's workers are nobody)."""
    with front.client() as client:
        response = client.post("/predict", content=b"\0" * DEFAULT_MAX_REQUEST_BYTES)
    assert response.status_code == 200
    assert response.json()["body_length"] == DEFAULT_MAX_REQUEST_BYTES


def test_oversized_upload_gets_json_413_from_nginx(front: Front) -> None:
    with front.client() as client:
        response = client.post("/predict", content=b"\0" * (DEFAULT_MAX_REQUEST_BYTES + 1))
    assert json_error(response, 413) == "too_large"
    assert response.headers.get("retry-after") is None


def test_oversized_chunked_upload_gets_json_413_from_nginx(front: Front) -> None:
    """No Content-Length: nginx counts while reading and stops at the limit."""

    def chunks() -> Iterator[bytes]:
        for _ in range(DEFAULT_MAX_REQUEST_BYTES // (1 << 20) + 1):
            yield b"\0" * (1 << 20)

    with front.client() as client:
        response = client.post("/verify", content=chunks())
    assert json_error(response, 413) == "too_large"


@pytest.fixture(scope="module")
def limited(start_front: Callable[..., Front]) -> Front:
    """Slow refill (1 per minute) so the count of accepted requests is exact: 1 + burst."""
    return start_front(rate_limit_rate="1r/m", rate_limit_burst=3)


def burst(front: Front, path: str, client_address: str, count: int) -> list[httpx.Response]:
    """`count` requests in a row from one client address (X-Forwarded-For from a trusted hop)."""
    with front.client() as client:
        return [
            client.post(path, content=b"x", headers={"X-Forwarded-For": client_address})
            for _ in range(count)
        ]


def test_burst_gets_json_429_with_retry_after(limited: Front) -> None:
    responses = burst(limited, "/predict", "203.0.113.10", 8)
    assert [r.status_code for r in responses] == [200] * 4 + [429] * 4
    for refused in responses[4:]:
        assert json_error(refused, 429) == "rate_limited"
        assert refused.headers["retry-after"] == "1"


def test_rate_limit_is_per_client_address_and_shared_by_predict_and_verify(
    limited: Front,
) -> None:
    assert [r.status_code for r in burst(limited, "/verify", "203.0.113.20", 5)] == [200] * 4 + [
        429
    ]
    assert [r.status_code for r in burst(limited, "/predict", "203.0.113.20", 1)] == [429]
    assert [r.status_code for r in burst(limited, "/predict", "203.0.113.21", 1)] == [200]


def test_health_and_page_are_not_rate_limited(limited: Front) -> None:
    burst(limited, "/predict", "203.0.113.30", 6)
    with limited.client(headers={"X-Forwarded-For": "203.0.113.30"}) as client:
        assert [client.get(p).status_code for p in ("/readyz", "/healthz", "/") * 5] == [200] * 15


def test_app_down_gets_json_503_with_retry_after(start_front: Callable[..., Front]) -> None:
    dead = start_front(upstream_port=processes.free_port())
    with dead.client() as client:
        response = client.get("/readyz")
    assert json_error(response, 503) == "upstream_unavailable"
    assert response.headers["retry-after"] == "5"


def test_slow_app_gets_json_504(start_front: Callable[..., Front]) -> None:
    impatient = start_front(proxy_read_timeout="1s")
    with impatient.client() as client:
        response = client.get("/slow")
    assert json_error(response, 504) == "upstream_timeout"


def test_app_errors_pass_through_untouched(front: Front) -> None:
    """The app's own 503 keeps its body and its single Retry-After."""
    with front.client() as client:
        response = client.get("/upstream-503")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"
    assert response.headers.get_list("retry-after") == ["7"]
