"""nginx for the local stack and the tests: the template's values, checked and run unprivileged.

nginx/entrypoint (the container's) is the one renderer of nginx/nginx.conf.template: this module
runs it with NginxConfig's values in its environment, from a run directory of its own.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devstack import processes
from devstack.processes import ProcessRecord
from service.paths import REPO_ROOT

TEMPLATE_PATH = REPO_ROOT / "nginx" / "nginx.conf.template"
ENTRYPOINT = REPO_ROOT / "nginx" / "entrypoint"

# The service's MAX_REQUEST_BYTES default (service/config.py); nginx refuses bigger bodies first.
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024

# Values end up inside nginx directives: one token each, so none can add or break a directive.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_./:@+-]+")


@dataclass(frozen=True, kw_only=True)
class NginxConfig:
    """Every ${VARIABLE} of the template; field NAME is variable NAME.upper().

    Defaults are the local stack's; nginx/entrypoint holds the container's (0.0.0.0, logs to
    stdout/stderr, PUBLIC_HTTPS_PORT 443).
    """

    run_dir: Path
    tls_cert: Path
    tls_key: Path
    access_log: str
    error_log: str
    listen_address: str = "127.0.0.1"
    listen_https_port: int = 8443
    listen_http_port: int = 8080
    public_https_port: int = 8443
    upstream_host: str = "127.0.0.1"
    upstream_port: int = 8000
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    proxy_read_timeout: str = "30s"
    rate_limit_rate: str = "10r/s"
    rate_limit_burst: int = 20
    real_ip_from: str = "127.0.0.1"
    worker_processes: str = "1"

    def __post_init__(self) -> None:
        for name, value in self.variables().items():
            if not _SAFE_VALUE.fullmatch(value):
                raise ValueError(
                    f"nginx template value {name}={value!r} is not a single safe token"
                )

    def variables(self) -> dict[str, str]:
        """The template variables and their values as strings."""
        return {
            field.name.upper(): str(getattr(self, field.name)) for field in dataclasses.fields(self)
        }


TEMPLATE_VARIABLES: tuple[str, ...] = tuple(
    field.name.upper() for field in dataclasses.fields(NginxConfig)
)


def local_config(run_dir: Path, **overrides: object) -> NginxConfig:
    """A config whose certificate, pid, temp files and logs all live under run_dir."""
    fields: dict[str, object] = {
        "run_dir": run_dir,
        "tls_cert": run_dir / "tls" / "cert.pem",
        "tls_key": run_dir / "tls" / "key.pem",
        "access_log": str(run_dir / "logs" / "access.log"),
        "error_log": str(run_dir / "logs" / "error.log"),
    }
    fields.update(overrides)
    return NginxConfig(**fields)  # type: ignore[arg-type]


# Debian puts nginx in /usr/sbin, which is often not on a user's PATH.
SBIN = "/usr/sbin:/usr/local/sbin"


def nginx_binary() -> str:
    """The nginx the entrypoint will find; RuntimeError naming what to install."""
    found = shutil.which("nginx") or shutil.which("nginx", path=SBIN)
    if found is None:
        raise RuntimeError("nginx is not installed (scripts/install_system_deps.sh installs it)")
    return found


def entrypoint_env(config: NginxConfig) -> dict[str, str]:
    """nginx/entrypoint's environment: this one, nginx on PATH, the template and every value."""
    path = f"{os.environ.get('PATH', '')}:{SBIN}"
    return {**os.environ, "PATH": path, "NGINX_TEMPLATE": str(TEMPLATE_PATH), **config.variables()}


def check(config: NginxConfig) -> Path:
    """Render run_dir/nginx.conf with the entrypoint and `nginx -t` it; RuntimeError with why."""
    nginx_binary()
    if shutil.which("openssl") is None:  # the entrypoint makes the certificate when none exists
        raise RuntimeError("openssl is not installed (scripts/install_system_deps.sh installs it)")
    for sub in ("logs", "tls"):
        (config.run_dir / sub).mkdir(parents=True, exist_ok=True)
    _check_workers_can_reach(config.run_dir)
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "-t", "-q"],
        env=entrypoint_env(config),
        capture_output=True,
        text=True,
        timeout=60,
    )
    conf_path = config.run_dir / "nginx.conf"
    if result.returncode != 0:
        log = Path(config.error_log)
        detail = result.stderr or (log.read_text() if log.exists() else "")
        raise RuntimeError(f"nginx -t failed for {conf_path}:\n{detail}")
    return conf_path


def start(config: NginxConfig, *, timeout: float = 15.0) -> ProcessRecord:
    """Check the config, start nginx, wait until both ports listen; the caller must stop() it."""
    check(config)
    proc, record = processes.spawn(
        "nginx",
        ["sh", str(ENTRYPOINT)],  # which execs nginx in the foreground: the pid is nginx's
        log_path=config.run_dir / "logs" / "nginx.out",
        env=entrypoint_env(config),
        # SIGQUIT is nginx's graceful stop: in-flight requests finish (the image's STOPSIGNAL too).
        stop_signal=signal.SIGQUIT,
    )
    ports = (config.listen_https_port, config.listen_http_port)
    try:
        processes.wait_until(
            lambda: all(processes.port_accepts(config.listen_address, port) for port in ports),
            timeout=timeout,
            what="nginx",
            alive=lambda: proc.poll() is None,
            log_path=Path(config.error_log),
        )
    except BaseException:
        processes.stop(record, timeout=5.0)
        raise
    return record


def _check_workers_can_reach(run_dir: Path) -> None:
    """As root, nginx's workers run as nobody and must traverse to their temp directories."""
    if os.geteuid() != 0:
        return
    run_dir.chmod(0o755)
    for parent in run_dir.resolve().parents:
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise RuntimeError(
                f"{parent} is not searchable by others, so nginx's workers (user nobody) cannot "
                f"write request bodies under {run_dir}; use a run directory outside it"
            )
