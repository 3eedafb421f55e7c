"""Check and run nginx unprivileged from a run directory, through the container's own entrypoint."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
from pathlib import Path

from devstack import processes
from devstack.nginx_config import ENTRYPOINT, TEMPLATE_PATH, NginxConfig
from devstack.processes import ProcessRecord

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
