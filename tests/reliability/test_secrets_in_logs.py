"""No log record carries an API key, right or wrong, nor any other credential a client sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from service.config import Settings
from service.metrics import Metrics
from service.middleware import RequestContextMiddleware
from tests.conftest import ClientFactory
from tests.reliability.conftest import Everything, capturing

RIGHT_KEY = "right-key-4f1c9a7e2b"
OTHER_KEY = "other-key-8d3e6b0c5a"
WRONG_KEY = "wrong-key-a6b2c9e1f7"
CREDENTIALS = {
    "X-API-Key": RIGHT_KEY,
    "Authorization": "Bearer bearer-token-71c0d5",
    "Cookie": "session=cookie-value-3e9a2f",
}
# The test's own HTTP client logs the URLs it requests; the service never runs it.
CLIENT_LOGGERS = ("httpx", "httpcore")


@pytest.fixture
def captured() -> Iterator[Everything]:
    """Every record the service's logging set-up passes at LOG_LEVEL=debug (not the test client's)."""
    with capturing(Everything(ignore=CLIENT_LOGGERS)) as handler:
        yield handler


async def answer_ok(scope: Scope, receive: Receive, send: Send) -> None:
    """The smallest app: 200 with an empty body (and nothing to do at start-up)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_the_access_log_record_carries_no_credential_header(captured: Everything) -> None:
    app = RequestContextMiddleware(answer_ok, metrics=Metrics())
    with TestClient(app) as client:
        assert client.get("/predict", headers=CREDENTIALS).status_code == 200
    access = [r for r in captured.records if r.name == "facesim.access"]
    assert len(access) == 1, "the request was logged"
    logged = captured.text()
    for name, value in CREDENTIALS.items():
        secret = value.split()[-1].split("=")[-1]
        assert secret not in logged, f"the {name} header reached a log record"


def test_the_access_log_has_the_path_without_the_query_string(captured: Everything) -> None:
    app = RequestContextMiddleware(answer_ok, metrics=Metrics())
    with TestClient(app) as client:
        client.get(f"/predict?api_key={RIGHT_KEY}")
    (record,) = [r for r in captured.records if r.name == "facesim.access"]
    assert record.path == "/predict"  # type: ignore[attr-defined]
    assert RIGHT_KEY not in captured.text()


def test_settings_never_show_the_api_keys() -> None:
    settings = Settings(api_keys=f"{RIGHT_KEY},{OTHER_KEY}")
    assert settings.api_key_set == {RIGHT_KEY, OTHER_KEY}
    for shown in (repr(settings), str(settings)):
        assert RIGHT_KEY not in shown and OTHER_KEY not in shown


def test_no_record_carries_an_api_key_sent_to_or_configured_in_the_service(
    make_client: ClientFactory,
    tiny_model: Path,
    faces: dict[str, bytes],
    captured: Everything,
) -> None:
    files = {n: (f"{n}.jpg", faces["a1"], "image/jpeg") for n in ("anchor", "img1", "img2")}
    with make_client(model_uri=str(tiny_model), api_keys=f"{RIGHT_KEY}, {OTHER_KEY}") as client:
        statuses = [
            client.post("/predict", files=files, headers={"X-API-Key": RIGHT_KEY}).status_code,
            client.post("/predict", files=files, headers={"X-API-Key": WRONG_KEY}).status_code,
            client.post("/verify", files={}, headers={"X-API-Key": OTHER_KEY}).status_code,
            client.get("/v1/model", headers={"X-API-Key": RIGHT_KEY}).status_code,
            client.get("/nowhere", headers={"X-API-Key": WRONG_KEY}).status_code,
        ]
    assert statuses == [200, 401, 415, 200, 404]
    assert sum(r.name == "facesim.access" for r in captured.records) >= len(statuses)
    logged = captured.text()
    for key in (RIGHT_KEY, OTHER_KEY, WRONG_KEY):
        assert key not in logged, "an API key reached a log record"
