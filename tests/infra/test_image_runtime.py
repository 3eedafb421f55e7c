"""Run exactly what the image runs: its CMD with its ENV, on the bundled model, until /readyz is 200.

No Docker engine here, so the image's command is started as a local process: the argv of the
Dockerfile's CMD, the final stage's ENV (image paths mapped onto this checkout's venv) plus PORT
on a free port. Readiness and liveness are the paths the infrastructure probes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devstack.processes import free_port, running
from infra.contract import APP_GRACEFUL_TIMEOUT_S, LIVENESS_PATH, READINESS_PATH
from tests.infra.conftest import REPO
from tests.infra.dockerfile import read_stages

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IMAGE_VENV = "/opt/venv"
READY_WITHIN_S = 120


def image_environment(port: int, home: Path) -> dict[str, str]:
    """The final stage's ENV on this machine: /opt/venv is this checkout's venv; nothing else."""
    image_env = read_stages(REPO / "Dockerfile")[-1].env()
    base = {"HOME": str(home), "LANG": "C.UTF-8", "PATH": os.environ["PATH"]}
    translated = {}
    for name, value in image_env.items():
        value = value.replace(IMAGE_VENV, sys.prefix)
        for outer, outer_value in base.items():
            value = value.replace("${" + outer + "}", outer_value).replace("$" + outer, outer_value)
        translated[name] = value
    return {**base, **translated, "PORT": str(port)}


def test_image_env_maps_onto_this_venv(tmp_path: Path) -> None:
    env = image_environment(8000, tmp_path)
    command = read_stages(REPO / "Dockerfile")[-1].exec_form("CMD")
    executable = shutil.which(command[0], path=env["PATH"])
    assert executable is not None
    assert Path(executable).parent == Path(sys.prefix) / "bin"


def test_image_command_serves_the_bundled_model(bundled_model: Path, tmp_path: Path) -> None:
    port = free_port()
    env = image_environment(port, tmp_path)
    command = read_stages(REPO / "Dockerfile")[-1].exec_form("CMD")
    executable = shutil.which(command[0], path=env["PATH"])
    assert executable is not None
    log = tmp_path / "service.log"
    base = f"http://127.0.0.1:{port}"
    argv = [executable, *command[1:]]
    ready_url = f"{base}{READINESS_PATH}"
    with running(
        "app", argv, log_path=log, env=env, cwd=REPO, ready_url=ready_url, timeout=READY_WITHIN_S
    ) as proc:
        live = httpx.get(f"{base}{LIVENESS_PATH}", timeout=5)
        assert live.status_code == 200
        ready = httpx.get(f"{base}{READINESS_PATH}", timeout=5)
        assert ready.status_code == 200
        # The image's own HEALTHCHECK command, run with the same environment.
        check = read_stages(REPO / "Dockerfile")[-1].args("HEALTHCHECK")[0]
        check_argv = json.loads(check[check.index("CMD [") + 4 :])
        probe = subprocess.run(
            [shutil.which(check_argv[0], path=env["PATH"]) or check_argv[0], *check_argv[1:]],
            env=env,
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert probe.returncode == 0, probe.stderr
        # SIGTERM (Docker's and ECS's stop signal) ends it cleanly within the graceful window.
        # uvicorn re-raises the signal once shut down, so -SIGTERM is a clean exit too.
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=APP_GRACEFUL_TIMEOUT_S + 10) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in log.read_text(errors="replace")
