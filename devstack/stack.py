"""`make stack`: moto's S3 server, the model published into it, the service reading it, nginx/TLS.

Everything listens on 127.0.0.1 only. `up` returns once the service answers /readyz through
nginx; the processes keep running in their own sessions until `down` stops exactly them.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter

from devstack import nginx, processes
from devstack.nginx import local_config
from devstack.processes import HOST, ProcessRecord
from devstack.servers import SERVICE_COMMAND, moto_argv, publish, service_env
from service.config import DEFAULT_MODEL
from service.manifest import manifest_path_for, read_manifest
from service.paths import REPO_ROOT

# What `up` creates under run_dir (besides the state file); a fresh `up` removes these first.
RUN_DIR_PARTS = ("logs", "nginx", "model-cache")
STATE_FILE = "state.json"  # which processes `up` started, so `down` stops exactly those


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

    def url(self, port: int, scheme: str = "http") -> str:
        """Where one part listens."""
        return f"{scheme}://{HOST}:{port}"


class StackError(RuntimeError):
    """The stack cannot start (busy port, already running, a part failed); the message says why."""


@dataclass
class StackState:
    """What one `up` started and where it listens; written after every process start."""

    processes: list[ProcessRecord] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    model_uri: str = ""
    cert: str = ""


_JSON = TypeAdapter(StackState)


def write_state(run_dir: Path, state: StackState) -> None:
    """Replace the state file atomically: `down` stops exactly what it lists, never half a file."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / f".{STATE_FILE}.tmp"
    tmp.write_bytes(_JSON.dump_json(state, indent=2) + b"\n")
    tmp.replace(run_dir / STATE_FILE)


def read_state(run_dir: Path) -> StackState | None:
    """The state of the last `up` in run_dir, or None when there is none."""
    path = run_dir / STATE_FILE
    return _JSON.validate_json(path.read_bytes()) if path.exists() else None


def remove_state(run_dir: Path) -> None:
    """Forget the stack (after `down`)."""
    (run_dir / STATE_FILE).unlink(missing_ok=True)


def up(config: StackConfig) -> StackState:
    """Start every part, wait until ready, record them; on any failure stop what was started."""
    previous = read_state(config.run_dir)
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
    current = StackState()
    try:
        _start_all(config, current)
    except BaseException:
        _stop_all(current.processes)
        remove_state(config.run_dir)
        raise
    return current


def down(run_dir: Path) -> list[str]:
    """Stop what the last `up` in run_dir started (if still the same processes); report it."""
    current = read_state(run_dir)
    if current is None:
        return []
    report = _lines(reversed(current.processes), "stopped", "already gone")
    _stop_all(current.processes)
    remove_state(run_dir)
    return report


def status(run_dir: Path) -> list[str]:
    """One line per recorded process: running or gone."""
    current = read_state(run_dir)
    return _lines(current.processes, "running", "gone") if current else []


def _lines(records: Iterable[ProcessRecord], running: str, gone: str) -> list[str]:
    return [
        f"{p.name} (pid {p.pid}): {running if processes.is_running(p) else gone}" for p in records
    ]


def _start_all(config: StackConfig, current: StackState) -> None:
    run_dir, logs = config.run_dir, config.run_dir / "logs"
    s3, service = config.url(config.s3_port), config.url(config.service_port)

    def started(record: ProcessRecord) -> None:
        current.processes.append(record)
        write_state(run_dir, current)  # at once, so `down` can clean up a failed start

    def start(name: str, argv: Sequence[str], log: str, ready: str, env: dict[str, str]) -> None:
        """Spawn one part, record it, wait until `ready` answers."""
        timeout = config.ready_timeout if name == "service" else 60
        proc, record = processes.spawn(name, argv, log_path=logs / log, env=env, cwd=REPO_ROOT)
        started(record)
        processes.wait_for(ready, timeout=timeout, proc=proc, log_path=logs / log)

    start("moto-s3", moto_argv(config.s3_port), "moto.log", f"{s3}/moto-api/", service_env())
    try:
        current.model_uri = publish(config.model, s3, config.bucket)
    except Exception as exc:
        raise StackError(f"publishing {config.model} failed: {exc}") from exc
    env = service_env(
        AWS_ENDPOINT_URL=s3,
        MODEL_URI=current.model_uri,
        # A model in S3 names its kind in MODEL_KIND, as the CDK stack sets it from the manifest.
        MODEL_KIND=read_manifest(manifest_path_for(config.model)).kind,
        MODEL_CACHE_DIR=str(run_dir / "model-cache"),  # empty: the model really comes from S3
        PORT=str(config.service_port),
        **({"API_KEYS": config.api_keys} if config.api_keys else {}),
    )
    start("service", SERVICE_COMMAND, "service.log", f"{service}/readyz", env)
    nginx_config = local_config(
        run_dir / "nginx",
        listen_https_port=config.https_port,
        listen_http_port=config.http_port,
        public_https_port=config.https_port,
        upstream_port=config.service_port,
    )
    started(nginx.start(nginx_config))  # nginx/entrypoint makes a fresh self-signed certificate
    current.cert = str(nginx_config.tls_cert)
    https = config.url(config.https_port, "https")
    processes.wait_until(
        lambda: processes.answers(f"{https}/readyz", cafile=nginx_config.tls_cert),
        timeout=30,
        what="nginx -> service /readyz",
        log_path=Path(nginx_config.error_log),
    )
    current.urls = {
        "page": f"{https}/",
        "docs": f"{https}/docs",
        "redirect": f"{config.url(config.http_port)}/",
        "service": service,
        "s3": s3,
        "logs": str(logs),
        "nginx_logs": str(Path(nginx_config.access_log).parent),
    }
    write_state(run_dir, current)


def _stop_all(records: list[ProcessRecord]) -> None:
    """Front first, so no request reaches a stopping app; the app gets its graceful timeout."""
    for record in reversed(records):
        processes.stop(record, timeout=30.0 if record.stop_signal == signal.SIGTERM else 15.0)
