"""Settings: documented defaults, and one clear line for a wrong value."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from devstack.processes import free_port
from devstack.servers import service_env
from service.config import DEFAULT_MODEL, Settings, describe_error
from service.paths import REPO_ROOT as REPO


def test_defaults_serve_the_bundled_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODEL_URI", "PORT", "HOST", "API_KEYS", "DISTANCE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert s.model_uri == str(DEFAULT_MODEL)
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.max_upload_bytes == 8 * 1024 * 1024 and s.max_request_bytes == 32 * 1024 * 1024
    assert s.api_key_set == frozenset() and s.cors_origin_list == []


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_URI", "s3://bucket/models/m.h5")
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("API_KEYS", "a, b ,")
    s = Settings()
    assert s.model_uri == "s3://bucket/models/m.h5" and s.port == 9000
    assert s.api_key_set == frozenset({"a", "b"})


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PORT", "eighty", "PORT"),
        ("PORT", "70000", "PORT"),
        ("MODEL_URI", "s3://only-bucket", "MODEL_URI"),
        ("MODEL_URI", "/models/model.onnx", "MODEL_URI"),
        ("MODEL_SHA256", "abc", "MODEL_SHA256"),
        ("DISTANCE_THRESHOLD", "-0.5", "DISTANCE_THRESHOLD"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
    ],
)
def test_wrong_values_are_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as err:
        Settings()
    line = describe_error(err.value)
    assert fragment in line and "\n" not in line


def test_server_command_fails_with_one_line_on_bad_config() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "service"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=service_env(PORT="not-a-port"),
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("invalid configuration: PORT")


def test_server_command_exits_non_zero_without_a_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.run(
        [sys.executable, "-m", "service"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=service_env(MODEL_URI=str(tmp_path / "missing.h5"), PORT=str(free_port())),
    )
    assert proc.returncode == 1
    assert "does not exist" in proc.stdout and "no valid model; exiting" in proc.stdout


def test_procfile_and_makefile_use_the_one_server_command() -> None:
    procfile = (REPO / "Procfile").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert "web: python -m service" in procfile
    assert "SERVE := $(BIN)/python -m service" in makefile
