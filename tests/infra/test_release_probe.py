"""The release checks, the pre-traffic hook and the canary against a local HTTP server (no AWS).

The server plays the load balancer during a blue/green deployment: a request carrying the test
header reaches the new release, any other the old one, so a hook that forgot the header checks
the wrong tasks and fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from infra.constructs.release_hook import build_bundle
from infra.probe import canary, hook
from infra.probe.client import Endpoint, fetch
from infra.probe.examples import EXAMPLES, MODEL_EXAMPLES, examples_for
from infra.probe.release import Expected, passed, release_checks
from service.paths import SAMPLE_FACES as FACES
from tests.infra.conftest import REPO

KEY = "test-key-0123456789"
HEADER = ("X-Facesim-Release", "candidate")


class FakeRelease(BaseHTTPRequestHandler):
    """Old release (1.0.0) by default; the new one (2.0.1) for requests with the test header."""

    seen_hosts: ClassVar[list[str]] = []
    new_is_broken = False

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _new(self) -> bool:
        return self.headers.get(HEADER[0]) == HEADER[1]

    def do_GET(self) -> None:
        self.seen_hosts.append(self.headers.get("Host", ""))
        if self.path == "/readyz":
            self._send(200, {"status": "ready"})
        elif self.path == "/v1/model":
            if self.headers.get("X-API-Key") != KEY:
                self._send(
                    401, {"error": {"code": "unauthorized", "field": None, "message": "key"}}
                )
                return
            version = "2.0.1" if self._new() else "1.0.0"
            self._send(200, {"name": "facesim-resnet", "version": version})
        else:
            self._send(404, {"error": {"code": "not_found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("X-API-Key") != KEY:
            self._send(401, {"error": {"code": "unauthorized"}})
        elif self._new() and self.new_is_broken:
            self._send(500, {"error": {"code": "internal"}})
        elif self.path == "/predict" and set(body) == {"anchor", "img1", "img2"}:
            self._send(200, {"most_similar": "img1"})
        elif self.path == "/verify" and set(body) == {"img1", "img2"}:
            self._send(200, {"same_person": True})
        else:
            self._send(422, {"error": {"code": "invalid"}})


@pytest.fixture
def server() -> Iterator[int]:
    FakeRelease.seen_hosts = []
    FakeRelease.new_is_broken = False
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeRelease)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def hook_environment(port: int, **overrides: str) -> dict[str, str]:
    return {
        # The public name does not resolve: the hook must connect through CONNECT_HOST.
        "ENDPOINT_URL": f"http://api.example.invalid:{port}",
        "CONNECT_HOST": "127.0.0.1",
        "TEST_HEADER_NAME": HEADER[0],
        "TEST_HEADER_VALUE": HEADER[1],
        "MODEL_KIND": "face-similarity",
        "MODEL_NAME": "facesim-resnet",
        "MODEL_VERSION": "2.0.1",
        **overrides,
    }


def test_the_hook_passes_the_new_release_through_the_test_header(server: int) -> None:
    checks = hook.run_checks(hook_environment(server), KEY, FACES)
    assert passed(checks), checks
    assert [c.name for c in checks] == ["readyz", "model", "kind examples"]
    # Connected to 127.0.0.1, yet every request named the public host (as SNI/Host would).
    assert set(FakeRelease.seen_hosts) == {f"api.example.invalid:{server}"}


def test_the_hook_fails_a_release_that_serves_another_model_version(
    server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook, "PAUSE_S", 0.0)
    checks = hook.run_checks(hook_environment(server, MODEL_VERSION="2.0.2"), KEY, FACES)
    assert not passed(checks)
    assert "expected version 2.0.2" in next(c.detail for c in checks if c.name == "model")


def test_without_the_test_header_the_hook_would_see_the_old_release(
    server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook, "PAUSE_S", 0.0)
    environment = hook_environment(server, TEST_HEADER_NAME="X-Other")
    assert not passed(hook.run_checks(environment, KEY, FACES))


def test_the_hook_fails_a_release_whose_routes_answer_5xx(
    server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook, "PAUSE_S", 0.0)
    FakeRelease.new_is_broken = True
    checks = hook.run_checks(hook_environment(server), KEY, FACES)
    assert [c.status for c in checks] == ["ok", "ok", "FAIL"]
    assert "/predict: status 500" in checks[-1].detail


def test_the_hook_handler_answers_ecs_with_a_hook_status(
    server: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in hook_environment(server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("API_KEY_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:k")
    monkeypatch.setattr(hook, "api_key_from_secret", lambda arn: KEY)
    monkeypatch.setattr(hook, "EXAMPLES_DIR", kind_dir(FACES, tmp_path))
    assert hook.handler({"lifecycleStage": "POST_TEST_TRAFFIC_SHIFT"}, None) == {
        "hookStatus": "SUCCEEDED"
    }


def kind_dir(faces: Path, root: Path) -> Path:
    """A folder whose face-similarity/ child is the example faces (the bundle's layout)."""
    (root / "face-similarity").symlink_to(faces)
    return root


def test_a_kind_without_examples_fails_the_release_check(server: int) -> None:
    endpoint = Endpoint(url=f"http://127.0.0.1:{server}", headers=dict([HEADER]))
    checks = release_checks(endpoint, KEY, Expected(kind="no-such-kind"), FACES)
    assert checks[-1].status == "FAIL"
    assert (
        "no example requests for model facesim-resnet of kind 'no-such-kind'" in checks[-1].detail
    )


def test_every_kind_s_example_files_are_in_the_repository() -> None:
    for kind, examples in {**EXAMPLES, **MODEL_EXAMPLES}.items():
        for name in examples.file_names:
            assert (REPO / examples.source / name).is_file(), (kind, name)
        assert examples.requests, kind


def test_the_bundle_holds_the_probe_and_the_kind_s_examples_and_imports_alone(
    tmp_path: Path,
) -> None:
    bundle = build_bundle("face-similarity", tmp_path)
    names = {p.name for p in (bundle / "probe" / "examples" / "face-similarity").iterdir()}
    assert names == examples_for("face-similarity").file_names
    assert not list(bundle.rglob("__pycache__"))
    # As the Lambda runtime imports it: a top-level `probe` package, nothing from this repo.
    result = subprocess.run(
        [sys.executable, "-E", "-s", "-c", "import probe.hook; print(probe.hook.handler.__name__)"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "handler", result.stderr


def test_the_canary_reads_ready_and_the_model_with_the_key(server: int) -> None:
    assert canary.probe(f"http://127.0.0.1:{server}", KEY) == "facesim-resnet 1.0.0"
    with pytest.raises(AssertionError, match="/v1/model with the key answered 401"):
        canary.probe(f"http://127.0.0.1:{server}", "wrong-key")


def test_fetch_sends_the_public_name_while_connecting_elsewhere(server: int) -> None:
    endpoint = Endpoint(url=f"http://facesim.example.invalid:{server}", connect_host="127.0.0.1")
    assert fetch(endpoint, "/readyz").status == 200
    assert FakeRelease.seen_hosts == [f"facesim.example.invalid:{server}"]


def test_a_classifiers_examples_are_its_models_and_say_the_labels_due() -> None:
    census = examples_for("tabular-classification", "census-income")
    (request,) = census.requests
    folder = REPO / census.source
    rows = json.loads(request.body(folder))["rows"]
    labels = request.due(folder)["labels"]
    assert len(rows) == len(labels) >= 2 and "age" in rows[0]
    answer = {"predictions": [{"label": label} for label in labels]}
    assert request.mismatch(answer, folder) is None
    swapped = {"predictions": answer["predictions"][::-1]}
    assert "due" in str(request.mismatch(swapped, folder))
    with pytest.raises(ValueError, match="MODEL_EXAMPLES"):
        examples_for("tabular-classification", "someone-elses-model")
