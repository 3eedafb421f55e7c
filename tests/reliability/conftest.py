"""Real processes for the reliability tier: `python -m service` on the tiny model, nginx in front.

Every process is started on free loopback ports by the fixture or helper that stops it.
"""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.loadgen import Clients
from devstack import nginx, processes
from devstack.nginx import NginxConfig, local_config
from devstack.servers import service_env, service_process
from service.logs import JsonFormatter, configure_logging
from tests.support import needs

API_KEY = "reliability-test-key"


@dataclass(frozen=True)
class Service:
    """A running `python -m service`: its URL, process, log file and private temp directory."""

    base: str
    proc: subprocess.Popen[bytes]
    log: Path
    tmpdir: Path
    api_key: str | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def client(self, **kwargs: Any) -> httpx.Client:
        """Plain HTTP straight to the app, with the API key when the service wants one."""
        headers = {"X-API-Key": self.api_key} if self.api_key else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60.0, **kwargs)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def own_address(client: int) -> dict[str, str]:
    """Load client i's address, as a trusted hop in front of nginx would send it."""
    return {"X-Forwarded-For": f"198.51.100.{client + 1}"}


@dataclass(frozen=True)
class Front:
    """A running nginx from nginx/nginx.conf.template in front of a service."""

    config: NginxConfig
    cert: Path
    record: processes.ProcessRecord

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.config.listen_https_port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        """HTTPS through nginx, verifying the generated certificate."""
        return httpx.Client(base_url=self.https_url, verify=self.tls(), timeout=60.0, **kwargs)

    def load_clients(self, **behaviour: Any) -> Clients:
        """The load generator's clients through nginx: HTTPS, each its own client address (sent
        by a trusted hop, as real users' would be, so each has its own rate limit)."""
        return Clients(headers=own_address, ssl=self.tls(), **behaviour)

    def tls(self) -> ssl.SSLContext:
        """A TLS context that trusts the generated certificate."""
        return ssl.create_default_context(cafile=str(self.cert))


@contextmanager
def running_service(
    model: Path | str,
    workdir: Path,
    *,
    wait_ready: bool = True,
    port: int | None = None,
    **settings: str,
) -> Iterator[Service]:
    """The real server command on the given model with its own TMPDIR, model cache and log file.

    One TensorFlow thread (the machine is shared); every other setting is the default unless given.
    """
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "service.log"
    env = service_env(
        MODEL_URI=str(model),
        MODEL_CACHE_DIR=str(workdir / "cache"),
        TMPDIR=str(tmpdir),
        TF_THREADS="1",
        **settings,
    )
    with service_process(env, port=port, log=log, wait_ready=wait_ready) as (base, proc):
        yield Service(base, proc, log, tmpdir, settings.get("API_KEYS") or None)


@contextmanager
def nginx_front(upstream_port: int, **overrides: object) -> Iterator[Front]:
    """nginx with the production template and numbers (ports, run dir and `overrides` aside)."""
    needs.nginx()
    # Outside pytest's 0700 tmp dir: as root, nginx's workers (nobody) must reach their temp files.
    run_dir = Path(tempfile.mkdtemp(prefix="facesim-reliability-nginx-"))
    run_dir.chmod(0o755)
    https_port = processes.free_port()
    config = local_config(
        run_dir,
        listen_https_port=https_port,
        public_https_port=https_port,
        listen_http_port=processes.free_port(),
        upstream_port=upstream_port,
        **overrides,
    )
    record = nginx.start(config)  # nginx/entrypoint makes the certificate
    try:
        yield Front(config, config.tls_cert, record)
    finally:
        processes.stop(record, timeout=10.0)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def shared_service(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service for the bad-input, fuzzing and privacy tests: debug logs, API key required.

    Small byte limits keep the oversize cases quick; everything else is the production default.
    """
    workdir = tmp_path_factory.mktemp("shared-service")
    with running_service(
        tiny_model,
        workdir,
        LOG_LEVEL="debug",
        API_KEYS=API_KEY,
        MAX_UPLOAD_BYTES=str(1024 * 1024),
        MAX_REQUEST_BYTES=str(4 * 1024 * 1024),
    ) as service:
        yield service


class Everything(logging.Handler):
    """Keeps every record it is given, but those of the loggers it is told to ignore."""

    def __init__(self, ignore: tuple[str, ...] = ()) -> None:
        super().__init__(level=logging.DEBUG)
        self.ignore = ignore
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not (self.ignore and record.name.startswith(self.ignore)):
            self.records.append(record)

    def text(self) -> str:
        """Everything a handler could write: message, the JSON line, every attribute."""
        formatter = JsonFormatter()
        return "\n".join(
            f"{r.getMessage()}\n{formatter.format(r)}\n{vars(r)!r}" for r in self.records
        )


@contextmanager
def capturing(handler: Everything) -> Iterator[Everything]:
    """Every record that passes the service's own logging set-up at LOG_LEVEL=debug, to handler."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    configure_logging("debug")
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
