"""nginx's access and error logs never hold the API key or any other credential a client sends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.nginx.standin import Front

pytestmark = [pytest.mark.e2e]

SECRETS = {
    "X-API-Key": "api-key-5b8e1f0c7d",
    "Authorization": "Bearer bearer-token-2c9d4a",
    "Cookie": "session=cookie-value-e7a130",
    "Proxy-Authorization": "Basic proxy-credential-91fb",
}


@pytest.fixture(scope="module")
def small_front(start_front: Callable[..., Front]) -> Front:
    """nginx with a small body limit, so that its own 413 (logged in the error log) is cheap."""
    return start_front(max_request_bytes=4096)


def test_no_credential_header_reaches_the_access_or_error_log(small_front: Front) -> None:
    with small_front.client(headers=SECRETS) as client:
        statuses = [
            client.post("/predict", content=b"x" * 100, headers={"X-Request-ID": "s-1"}),
            client.get("/v1/model", headers={"X-Request-ID": "s-2"}),
            client.post("/predict", content=b"x" * 8192, headers={"X-Request-ID": "s-3"}),
        ]
    assert [r.status_code for r in statuses] == [200, 200, 413]
    for request_id in ("s-1", "s-2", "s-3"):
        small_front.log_entry(request_id)  # each request was logged
    error_log = Path(small_front.config.error_log)
    assert "client intended to send too large body" in error_log.read_text()
    logged = small_front.access_log.read_text() + error_log.read_text()
    for name, value in SECRETS.items():
        assert value.split()[-1].split("=")[-1] not in logged, f"{name} reached nginx's logs"
