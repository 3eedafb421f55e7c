"""Overload through the app: past MAX_QUEUE, or past QUEUE_TIMEOUT in line, a JSON 503 with
Retry-After, while the requests already admitted are answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.model import KerasModel
from service.runtime import Runtime
from tests.conftest import ClientFactory


class HeldModel:
    """The forward pass waits, once asked to, until the test releases it."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def held_forward(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldModel]:
    """KerasModel.predict, blocked while the test holds it (the warm-up passes straight through)."""
    held = HeldModel()
    forward = KerasModel.predict

    def predict(self: KerasModel, inputs: Any) -> Any:
        if held.hold.is_set():
            held.entered.set()
            assert held.release.wait(30), "the test never released the model"
        return forward(self, inputs)

    monkeypatch.setattr(KerasModel, "predict", predict)
    yield held
    held.release.set()


def post(client: TestClient, faces: dict[str, bytes]) -> Any:
    """One /predict with three sample faces."""
    files = {f: (f"{n}.jpg", faces[n], "image/jpeg") for f, n in zip(
        ("anchor", "img1", "img2"), ("a1", "a2", "b1"), strict=True)}  # fmt: skip
    return client.post("/predict", files=files)


def wait_until(check: Any, what: str) -> None:
    """Poll a condition the app reaches on its own threads."""
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.005)


def assert_overloaded(response: Any, says: str) -> None:
    """The project's JSON 503, with Retry-After."""
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["code"] == "overloaded" and error["field"] is None
    assert says in error["message"]


def test_past_max_queue_a_request_is_refused_at_once_and_the_admitted_are_answered(
    make_client: ClientFactory, tiny_model: Path, faces: dict[str, bytes], held_forward: HeldModel
) -> None:
    with (
        make_client(model_uri=str(tiny_model), max_queue=2, max_active=1) as client,
        ThreadPoolExecutor(2) as pool,
    ):
        admission = client.app.state.runtime.admission
        held_forward.hold.set()
        first: Future[Any] = pool.submit(post, client, faces)
        assert held_forward.entered.wait(30), "the first request never reached the model"
        second = pool.submit(post, client, faces)
        wait_until(lambda: admission.waiting == 1, "the second request in line")
        assert_overloaded(post(client, faces), "2 requests in progress")
        held_forward.release.set()
        assert first.result().status_code == 200
        assert second.result().status_code == 200


def test_a_request_that_waits_past_queue_timeout_is_refused(
    make_client: ClientFactory, tiny_model: Path, faces: dict[str, bytes], held_forward: HeldModel
) -> None:
    with (
        make_client(
            model_uri=str(tiny_model), max_queue=4, max_active=1, queue_timeout=0.2
        ) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        runtime: Runtime = client.app.state.runtime
        held_forward.hold.set()
        first = pool.submit(post, client, faces)
        assert held_forward.entered.wait(30), "the first request never reached the model"
        assert_overloaded(post(client, faces), "no turn within 0.2 s")
        assert runtime.admission.waiting == 0
        held_forward.release.set()
        assert first.result().status_code == 200
