"""The container's entrypoint (also the local stack's renderer) with its own defaults runs a working nginx."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack import processes
from devstack.nginx import ENTRYPOINT, TEMPLATE_PATH, TEMPLATE_VARIABLES

pytestmark = [pytest.mark.e2e]


@pytest.fixture()
def run_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="facesim-entrypoint-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def entrypoint_env(**values: str) -> dict[str, str]:
    """Only what a container would have: PATH (with nginx's sbin), the template, the values."""
    path = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin"
    return {"PATH": path, "NGINX_TEMPLATE": str(TEMPLATE_PATH), **values}


def test_entrypoint_substitutes_exactly_the_template_variables(run_dir: Path) -> None:
    """With the container's defaults: nothing left as ${NAME}, nginx's $vars intact."""
    subprocess.run(
        ["sh", str(ENTRYPOINT), "-t", "-q"],
        env=entrypoint_env(RUN_DIR=str(run_dir), LISTEN_ADDRESS="127.0.0.1"),
        check=True,
        timeout=60,
    )
    rendered = (run_dir / "nginx.conf").read_text()
    for name in TEMPLATE_VARIABLES:
        assert f"${{{name}}}" not in rendered
    assert "$binary_remote_addr" in rendered
    assert "$facesim_request_id" in rendered


def test_entrypoint_container_defaults(run_dir: Path) -> None:
    subprocess.run(
        ["sh", str(ENTRYPOINT), "-t", "-q"],
        env=entrypoint_env(RUN_DIR=str(run_dir)),
        check=True,
        timeout=60,
    )
    rendered = (run_dir / "nginx.conf").read_text()
    assert "listen 0.0.0.0:8443 ssl http2 default_server;" in rendered
    assert "listen 0.0.0.0:8080 default_server;" in rendered
    assert "server 127.0.0.1:8000;" in rendered
    assert "access_log /dev/stdout facesim_json;" in rendered
    assert "error_log stderr warn;" in rendered
    assert "worker_processes auto;" in rendered
    assert "map 443 $facesim_https_port_suffix" in rendered
    assert "client_max_body_size 33554432;" in rendered
    assert "proxy_read_timeout 30s;" in rendered


def test_entrypoint_generates_a_certificate_and_serves_https(run_dir: Path) -> None:
    https_port, http_port = processes.free_port(), processes.free_port()
    env = entrypoint_env(
        RUN_DIR=str(run_dir),
        LISTEN_ADDRESS="127.0.0.1",
        LISTEN_HTTPS_PORT=str(https_port),
        LISTEN_HTTP_PORT=str(http_port),
        UPSTREAM_PORT=str(processes.free_port()),  # no app: nginx answers 503 itself
        ACCESS_LOG=str(run_dir / "access.log"),
        ERROR_LOG=str(run_dir / "error.log"),
    )
    proc = subprocess.Popen(["sh", str(ENTRYPOINT)], env=env, stdin=subprocess.DEVNULL)
    try:
        processes.wait_until(
            lambda: processes.port_accepts("127.0.0.1", https_port),
            timeout=30,
            what="entrypoint nginx",
            alive=lambda: proc.poll() is None,
            log_path=run_dir / "error.log",
        )
        cert = run_dir / "tls" / "cert.pem"
        assert oct((run_dir / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"
        context = ssl.create_default_context(cafile=str(cert))
        response = httpx.get(f"https://127.0.0.1:{https_port}/readyz", verify=context)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "upstream_unavailable"
    finally:
        proc.terminate()  # exec'd: this is nginx itself
        proc.wait(timeout=15)
