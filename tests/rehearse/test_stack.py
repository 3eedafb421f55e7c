"""compose.yaml running under podman: served through nginx/TLS, and how it fails.

One stack for the module (tests/rehearse/conftest.py); each fault test puts it back and waits
until it is ready again, so the order of the tests does not matter.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from rehearse.compose import Stack
from service.paths import SAMPLE_FACES as FACES
from tests.rehearse.conftest import client, readiness, wait_ready

# A cold session builds the bases and the images (~7 min on 2 cores); pytest-timeout's default is 15.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.containers, pytest.mark.timeout(2400)]

# anchor and img1 are the same person, img2 another: the README's example request.
PREDICT_FILES = {"anchor": "a1.jpg", "img1": "a2.jpg", "img2": "b1.jpg"}
# Fargate pulls the whole image at every task start (docs/DEPLOY.md, image hygiene).
APP_IMAGE_BUDGET_BYTES = 1_800_000_000


def upload() -> dict[str, tuple[str, bytes, str]]:
    """The three images of /predict as multipart files."""
    return {
        k: (name, (FACES / name).read_bytes(), "image/jpeg") for k, name in PREDICT_FILES.items()
    }


def app_log_lines(stack: Stack) -> list[dict[str, object]]:
    """The app's JSON log lines, every restart included."""
    lines = []
    for line in stack.logs("app").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def wait_until(what: str, check: Callable[[], bool], stack: Stack, timeout: float = 240.0) -> None:
    """Poll `check` every second; fail with the app's log if it never holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not seen in {timeout:.0f} s:\n{stack.logs('app')[-3000:]}")
        time.sleep(1.0)


def fatal_reasons(stack: Stack) -> list[str]:
    """The reasons the app gave each time it refused to start."""
    return [
        str(line.get("reason"))
        for line in app_log_lines(stack)
        if line.get("message") == "no valid model; exiting"
    ]


def test_ready_through_nginx_over_tls(stack: Stack) -> None:
    with client(stack) as http:
        response = http.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


def test_predict_answers_with_the_chosen_model(stack: Stack, model_file: Path) -> None:
    manifest = json.loads(model_file.with_suffix(".json").read_text())
    with client(stack) as http:
        response = http.post("/predict", files=upload())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["most_similar"] == "img1"
    assert body["model"] == {"name": manifest["name"], "version": manifest["version"]}


def test_predict_without_the_api_key_is_refused(stack: Stack) -> None:
    with client(stack, key=False) as http:
        response = http.post("/predict", files=upload())
    assert response.status_code == 401, response.text


def test_the_app_port_is_reachable_only_inside_the_task(stack: Stack) -> None:
    address = stack.engine.podman(
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        stack.container("task"),
    ).stdout.strip()
    with socket.create_connection((address, 8443), timeout=5):
        pass  # nginx answers on the task's address, as the load balancer reaches it
    with pytest.raises(OSError), socket.create_connection((address, 8000), timeout=5):
        pass  # the app listens on the task's loopback only


def app_inspect(stack: Stack, template: str) -> int:
    """A number from `podman inspect --format template` of the app's container."""
    return int(
        stack.engine.podman("inspect", f"--format={template}", stack.container("app")).stdout
    )


def test_app_crash_is_answered_503_then_the_app_restarts(stack: Stack) -> None:
    restarts = app_inspect(stack, "{{.RestartCount}}")
    # SIGKILL the container's main process from the host: a crash, not a stop.
    os.kill(app_inspect(stack, "{{.State.Pid}}"), signal.SIGKILL)
    with client(stack) as http:
        down = http.get("/readyz")
    assert down.status_code == 503, down.text
    assert down.json()["error"]["code"] == "upstream_unavailable"
    assert down.headers.get("retry-after")
    wait_ready(stack)
    assert app_inspect(stack, "{{.RestartCount}}") > restarts


def test_s3_down_stops_the_start_with_a_clear_reason(stack: Stack) -> None:
    before = len(fatal_reasons(stack))
    stack.compose("stop", "s3")
    try:
        stack.engine.podman("restart", "--time", "30", stack.container("app"), timeout=120)
        wait_until("a refused start", lambda: len(fatal_reasons(stack)) > before, stack)
        reason = fatal_reasons(stack)[before]
        assert reason.startswith("cannot download s3://facesim-models/"), reason
        assert readiness(stack) == 503
    finally:
        stack.up()  # S3 again (empty: moto keeps nothing), the model published again
        wait_ready(stack)


def test_a_model_that_does_not_match_its_manifest_is_refused(
    stack: Stack, model_file: Path
) -> None:
    uri = stack.config()["services"]["app"]["environment"]["MODEL_URI"]
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{stack.s3_port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    before = len(fatal_reasons(stack))
    s3.put_object(Bucket=bucket, Key=key, Body=b"\x89HDF\r\n" + b"\x00" * 4096)
    try:
        # The good copy the app downloaded at its start would be served from its cache.
        stack.engine.podman("exec", stack.container("app"), "rm", "-r", "/app/.cache/models")
        stack.engine.podman("restart", "--time", "30", stack.container("app"), timeout=120)
        wait_until("a refused start", lambda: len(fatal_reasons(stack)) > before, stack)
        reason = fatal_reasons(stack)[before]
        assert "checksum mismatch" in reason and "refusing to serve it" in reason, reason
        assert readiness(stack) == 503
    finally:
        s3.put_object(Bucket=bucket, Key=key, Body=model_file.read_bytes())
        wait_ready(stack)  # the restart policy starts it again, and now it loads


def test_app_image_stays_within_its_pull_budget(stack: Stack) -> None:
    image = stack.config()["services"]["app"]["image"]
    size = int(stack.engine.podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    assert size <= APP_IMAGE_BUDGET_BYTES, f"{size / 1e6:,.0f} MB"
