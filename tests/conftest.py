"""Fixtures shared by every test tier."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import DEFAULT_MODEL, Settings
from service.main import create_app
from service.paths import LFW_ARCHIVE, LFW_DIR
from service.paths import SAMPLE_FACES as FACES
from service.runtime import Runtime
from tests.support.tiny_model import write_model


@pytest.fixture(scope="session")
def faces() -> dict[str, bytes]:
    """The committed sample faces: a1-a3 one person, b1-b2 another, c1 a third."""
    return {p.stem: p.read_bytes() for p in sorted(FACES.glob("*.jpg"))}


@pytest.fixture(scope="session")
def lfw_sample() -> dict[str, bytes]:
    """48 LFW images spread over the whole set (every 275th), read from the tarball, not extracted."""
    import tarfile

    tarball = LFW_ARCHIVE
    if not tarball.is_file():
        pytest.fail(f"LFW is not at {LFW_DIR} (see its README)")
    images: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        jpegs = 0
        for info in tar:
            if not info.name.endswith(".jpg"):
                continue
            if jpegs % 275 == 0:
                handle = tar.extractfile(info)
                assert handle is not None
                images[info.name.rsplit("/", 1)[-1]] = handle.read()
            jpegs += 1
    return images


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real Keras siamese model with a correct manifest."""
    return write_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    """The trained model the service ships with."""
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"bundled model {DEFAULT_MODEL} is missing")
    return DEFAULT_MODEL


def wait_ready(client: TestClient, timeout: float = 60.0) -> None:
    """Poll /readyz until the background start-up finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.05)
    raise TimeoutError("service did not become ready")


ClientFactory = Callable[..., Any]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    """Build a TestClient around an app with the given settings; waits until ready by default."""
    stack: list[Any] = []
    fatal: list[str] = []

    @contextmanager
    def factory(*, ready: bool = True, **overrides: Any) -> Iterator[TestClient]:
        settings = Settings(model_cache_dir=tmp_path / "cache", **overrides)
        app = create_app(settings, on_fatal=fatal.append)
        with TestClient(app) as client:
            client.fatal = fatal  # type: ignore[attr-defined]
            if ready:
                wait_ready(client)
            yield client

    yield factory
    stack.clear()


@pytest.fixture
def client(make_client: ClientFactory, tiny_model: Path) -> Iterator[TestClient]:
    """A ready app serving the tiny model."""
    with make_client(model_uri=str(tiny_model)) as c:
        yield c


@pytest.fixture
def held_model_load(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The model load waits until the test sets this event, or the app stops (a failed test)."""
    release = threading.Event()
    load = Runtime._load

    def held(runtime: Runtime) -> Any:
        while not release.wait(timeout=0.05):
            if runtime.stopping:
                raise RuntimeError("the app stopped while the test held the model load")
        return load(runtime)

    monkeypatch.setattr(Runtime, "_load", held)
    yield release
    release.set()
