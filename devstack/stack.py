"""`make stack`: moto's S3 server, the model published into it, the service reading it, nginx/TLS.

Everything listens on 127.0.0.1 only. `up` returns once the service answers /readyz through
nginx; the processes keep running in their own sessions until `down` stops exactly them.
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx

from devstack import nginx, processes, state, tls
from devstack.nginx_config import REPO_ROOT, local_config
from devstack.processes import ProcessRecord
from service.config import DEFAULT_MODEL

HOST = "127.0.0.1"
# What `up` creates under run_dir (besides the state file); a fresh `up` removes these first.
RUN_DIR_PARTS = ("logs", "nginx", "model-cache")
PUBLISH_SCRIPT = REPO_ROOT / "scripts" / "publish_model.py"
# AWS settings that could send the stack's S3 calls to a real account: never inherited.
_AWS_LEAKS = (
    "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
)  # fmt: skip
# Service settings a developer's shell may carry that would change what the stack serves.
_SERVICE_OVERRIDES = ("MODEL_URI", "MODEL_SHA256", "MODEL_CACHE_DIR", "API_KEYS", "HOST", "PORT")


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    """Where the stack lives and listens; the defaults are `make stack`'s."""

    run_dir: Path = REPO_ROOT / ".cache" / "stack"
    https_port: int = 8443
    http_port: int = 8080
    service_port: int = 8000
    s3_port: int = 5000
    bucket: str = "facesim-models"
    model: Path = DEFAULT_MODEL  # the bundled model `make run` serves
    api_keys: str = ""  # API_KEYS of the service (comma-separated); empty = no auth, as `make run`
    # Model download, checksum, TensorFlow import, load and warm-up on a busy laptop.
    ready_timeout: float = 300.0

    @property
    def s3_url(self) -> str:
        return f"http://{HOST}:{self.s3_port}"

    @property
    def service_url(self) -> str:
        return f"http://{HOST}:{self.service_port}"

    @property
    def https_url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"


class StackError(RuntimeError):
    """The stack cannot start (busy port, already running, a part failed); the message says why."""


def up(config: StackConfig) -> state.StackState:
    """Start every part, wait until ready, record them; on any failure stop what was started."""
    previous = state.read(config.run_dir)
    if previous and any(processes.is_running(p) for p in previous.processes):
        raise StackError(f"a stack is already running from {config.run_dir}; stop it first")
    ports = (config.s3_port, config.service_port, config.https_port, config.http_port)
    busy = [port for port in ports if processes.port_accepts(HOST, port)]
    if busy:
        raise StackError(f"port(s) {busy} on {HOST} are in use; stop what uses them")
    if not config.model.exists():
        raise StackError(f"model {config.model} not found")
    config.run_dir.mkdir(parents=True, exist_ok=True)
    for leftover in RUN_DIR_PARTS:  # only what an earlier `up` made: --run-dir may be any folder
        shutil.rmtree(config.run_dir / leftover, ignore_errors=True)
    current = state.StackState()
    try:
        _start_all(config, current)
    except BaseException:
        _stop_all(current.processes)
        state.remove(config.run_dir)
        raise
    return current


def down(run_dir: Path) -> list[str]:
    """Stop what the last `up` in run_dir started (if still the same processes); report it."""
    current = state.read(run_dir)
    if current is None:
        return []
    report = [
        f"{p.name} (pid {p.pid}): {'stopped' if processes.is_running(p) else 'already gone'}"
        for p in reversed(current.processes)
    ]
    _stop_all(current.processes)
    state.remove(run_dir)
    return report


def status(run_dir: Path) -> list[str]:
    """One line per recorded process: running or gone."""
    current = state.read(run_dir)
    if current is None:
        return []
    return [
        f"{p.name} (pid {p.pid}): {'running' if processes.is_running(p) else 'gone'}"
        for p in current.processes
    ]


def _start_all(config: StackConfig, current: state.StackState) -> None:
    run_dir, logs = config.run_dir, config.run_dir / "logs"
    env = _aws_env(config)

    def started(record: ProcessRecord) -> None:
        current.processes.append(record)
        state.write(run_dir, current)  # at once, so `down` can clean up a failed start

    moto, record = processes.spawn(
        "moto-s3",
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(config.s3_port)],
        log_path=logs / "moto.log",
        env=env,
    )
    started(record)
    processes.wait_until(
        lambda: _answers(f"{config.s3_url}/moto-api/", 200),
        timeout=60,
        what="moto S3 server",
        alive=lambda: moto.poll() is None,
        log_path=logs / "moto.log",
    )
    current.model_uri = _publish(config, env)

    service_env = {
        **env,
        "MODEL_URI": current.model_uri,
        "MODEL_CACHE_DIR": str(run_dir / "model-cache"),  # empty: the model really comes from S3
        "HOST": HOST,
        "PORT": str(config.service_port),
    }
    if config.api_keys:
        service_env["API_KEYS"] = config.api_keys
    service, record = processes.spawn(
        "service",
        [sys.executable, "-m", "service"],
        log_path=logs / "service.log",
        env=service_env,
        cwd=REPO_ROOT,
    )
    started(record)
    processes.wait_until(
        lambda: _answers(f"{config.service_url}/readyz", 200),
        timeout=config.ready_timeout,
        what="service /readyz",
        alive=lambda: service.poll() is None,
        log_path=logs / "service.log",
    )

    nginx_config = local_config(
        run_dir / "nginx",
        listen_https_port=config.https_port,
        listen_http_port=config.http_port,
        public_https_port=config.https_port,
        upstream_port=config.service_port,
    )
    tls.generate_self_signed(nginx_config.tls_cert, nginx_config.tls_key)
    current.cert = str(nginx_config.tls_cert)
    started(nginx.start(nginx_config))
    processes.wait_until(
        lambda: _answers(f"{config.https_url}/readyz", 200, cafile=nginx_config.tls_cert),
        timeout=30,
        what="nginx -> service /readyz",
        log_path=Path(nginx_config.error_log),
    )
    current.urls = {
        "page": f"{config.https_url}/",
        "docs": f"{config.https_url}/docs",
        "redirect": f"{config.http_url}/",
        "service": config.service_url,
        "s3": config.s3_url,
        "logs": str(logs),
        "nginx_logs": str(Path(nginx_config.access_log).parent),
    }
    state.write(run_dir, current)


def _stop_all(records: list[ProcessRecord]) -> None:
    """Front first, so no request reaches a stopping app; the app gets its graceful timeout."""
    for record in reversed(records):
        processes.stop(record, timeout=30.0 if record.stop_signal == signal.SIGTERM else 15.0)


def _aws_env(config: StackConfig) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in _AWS_LEAKS and k not in _SERVICE_OVERRIDES
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=config.s3_url,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _publish(config: StackConfig, env: Mapping[str, str]) -> str:
    """Create the bucket, then publish with the project's publish script; its s3:// URI."""
    s3 = boto3.client(
        "s3",
        endpoint_url=config.s3_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=config.bucket)
    result = subprocess.run(
        [sys.executable, str(PUBLISH_SCRIPT), "--model", str(config.model),
         "--bucket", config.bucket, "--latest"],
        env=dict(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    uris = [line for line in result.stdout.split() if line.startswith("s3://")]
    if result.returncode != 0 or not uris:
        raise StackError(f"publishing {config.model} failed:\n{result.stdout}{result.stderr}")
    return uris[-1]


def _answers(url: str, status_code: int, *, cafile: Path | None = None) -> bool:
    """Whether url answers status_code now (HTTPS verified against cafile when given)."""
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=str(cafile)) if cafile is not None else True
    )
    try:
        return httpx.get(url, timeout=2.0, verify=verify).status_code == status_code
    except httpx.HTTPError:
        return False
