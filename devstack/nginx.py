"""Check and run nginx unprivileged from a prefix directory with a rendered config."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
from pathlib import Path

from devstack import processes
from devstack.nginx_config import NginxConfig, write_config
from devstack.processes import ProcessRecord


def nginx_binary() -> str:
    """Debian puts nginx in /usr/sbin, which is often not on a user's PATH."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("nginx is not installed (scripts/install_system_deps.sh installs it)")
    return found


def command(config: NginxConfig, conf_path: Path, *, test_only: bool = False) -> list[str]:
    """nginx in the foreground (the caller owns the process), prefix and config under run_dir."""
    argv = [nginx_binary(), "-p", str(config.run_dir), "-c", str(conf_path)]
    # -e: the start-up error log, before the config's error_log applies (else /var/log/nginx).
    argv += ["-e", config.error_log]
    return [*argv, "-t", "-q"] if test_only else [*argv, "-g", "daemon off;"]


def check(config: NginxConfig) -> Path:
    """Render the config and run `nginx -t` on it; raise RuntimeError with nginx's message."""
    conf_path = write_config(config)
    _check_workers_can_reach(config.run_dir)
    result = subprocess.run(
        command(config, conf_path, test_only=True), capture_output=True, text=True
    )
    if result.returncode != 0:
        log = Path(config.error_log)
        detail = result.stderr or (log.read_text() if log.exists() else "")
        raise RuntimeError(f"nginx -t failed for {conf_path}:\n{detail}")
    return conf_path


def start(config: NginxConfig, *, timeout: float = 15.0) -> ProcessRecord:
    """Check the config, start nginx, wait until both ports listen; the caller must stop() it."""
    conf_path = check(config)
    proc, record = processes.spawn(
        "nginx",
        command(config, conf_path),
        log_path=config.run_dir / "logs" / "nginx.out",
        # SIGQUIT is nginx's graceful stop: in-flight requests finish (the image's STOPSIGNAL too).
        stop_signal=signal.SIGQUIT,
    )
    try:
        processes.wait_until(
            lambda: all(
                processes.port_accepts(config.listen_address, port)
                for port in (config.listen_https_port, config.listen_http_port)
            ),
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
