"""The local stack's fixtures: compose.yaml read, and run once per session under podman.

The images are built in the storage `make rehearse` uses (.cache/rehearse/), so its cached bases
and layers serve both; the project (containers, volumes, network) is the tests' own, on free
ports. Only when podman cannot run containers here are the stack's tests skipped, with the reason.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.processes import free_port
from rehearse.compose import Stack, read_config
from rehearse.engine import Engine, EngineUnavailable
from service.paths import REPO_ROOT
from tests.support import needs

# What compose.yaml reads from the environment: unset, its own defaults apply.
COMPOSE_VARIABLES = ("MODEL", "MODEL_KIND", "HTTPS_PORT", "S3_PORT", "API_KEYS_FILE", "NOFILE_HARD")
# Model download from S3, checksum, TensorFlow import, load and warm-up on a busy 2-core machine.
READY_TIMEOUT_S = 300.0


def compose_config(**variables: str) -> dict[str, Any]:
    """compose.yaml as podman-compose reads it, with these variables and defaults for the rest."""
    needs.module("podman_compose")
    env = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    return read_config({**env, **variables})


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The rehearsal's podman, or a skip saying why it cannot run here."""
    engine = Engine()
    try:
        engine.check_available()
    except EngineUnavailable as exc:
        needs.not_here(f"podman cannot run containers on this machine: {exc}")
    return engine


@pytest.fixture(scope="session")
def stack(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """compose.yaml built (cached layers reused) and up, ready through nginx; removed after."""
    needs.module("podman_compose")
    logs = tmp_path_factory.mktemp("stack-logs")
    keys = tmp_path_factory.mktemp("stack-secrets") / "api_keys"
    stack = Stack(
        engine, project="facesim-test", https_port=free_port(), s3_port=free_port(), keys_file=keys
    )
    stack.build(logs=logs)
    stack.down()  # what an interrupted session left behind
    try:
        stack.up()
        wait_ready(stack)
        yield stack
    finally:
        for service in stack.config()["services"]:
            (logs / f"{service}.log").write_text(stack.logs(service))
        stack.down()


def tls_context(stack: Stack) -> ssl.SSLContext:
    """Trust exactly the certificate nginx made at its start (issued to 127.0.0.1)."""
    pem = ssl.get_server_certificate(("127.0.0.1", stack.https_port))
    return ssl.create_default_context(cadata=pem)


def client(stack: Stack, *, key: bool = True) -> httpx.Client:
    """HTTPS through nginx, its certificate pinned, with or without the API key."""
    headers = {"X-API-Key": stack.keys_file.read_text().strip()} if key else {}
    return httpx.Client(
        base_url=f"https://127.0.0.1:{stack.https_port}",
        verify=tls_context(stack),
        headers=headers,
        timeout=60.0,
    )


def readiness(stack: Stack) -> int | None:
    """/readyz's status through nginx, or None while nothing answers."""
    try:
        with client(stack) as http:
            return http.get("/readyz", timeout=5.0).status_code
    except (httpx.HTTPError, OSError, ssl.SSLError):
        return None


def wait_ready(stack: Stack, timeout: float = READY_TIMEOUT_S) -> float:
    """Seconds until /readyz answers 200 through nginx."""
    started = time.monotonic()
    while readiness(stack) != 200:
        if time.monotonic() - started > timeout:
            pytest.fail(f"not ready through nginx in {timeout:.0f} s:\n{stack.logs('app')[-3000:]}")
        time.sleep(1.0)
    return time.monotonic() - started


@pytest.fixture(scope="session")
def model_file(stack: Stack) -> Path:
    """The models/ file the stack serves (compose.yaml's MODEL)."""
    uri = stack.config()["services"]["app"]["environment"]["MODEL_URI"]
    return REPO_ROOT / "models" / uri.rsplit("/", 1)[-1]
