"""Start and stop real processes for tests: moto's S3 server and the service itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from devstack.processes import free_port, terminate

__all__ = ["free_port", "moto_server", "service_env", "service_process", "stop", "wait_for"]

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def wait_for(
    url: str,
    *,
    status: int = 200,
    timeout: float = 120.0,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll url until it answers `status`; fail early if the process died."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            got = httpx.get(url, timeout=2.0, verify=False).status_code
            if got == status:
                return
            last = f"HTTP {got}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer {status} within {timeout}s (last: {last})")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it lingers."""
    terminate(proc, timeout)


@contextmanager
def moto_server() -> Iterator[str]:
    """moto in server mode on a free loopback port: a real HTTP S3 endpoint. Yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **S3_ENV},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/moto-api/", timeout=30, proc=proc)
        yield url
    finally:
        stop(proc)


def service_env(**overrides: str) -> dict[str, str]:
    """Environment for `python -m service` in a test: loopback, test S3 credentials, overrides."""
    env = {**os.environ, **S3_ENV, "HOST": "127.0.0.1", "LOG_LEVEL": "info"}
    env.pop("API_KEYS", None)
    env.update(overrides)
    return env


@contextmanager
def service_process(
    env: dict[str, str],
    *,
    port: int | None = None,
    log: Path | None = None,
    wait_ready: bool = True,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m service` as a subprocess (the real server command). Yields (base URL, process)."""
    port = port or free_port()
    out = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [PYTHON, "-m", "service"],
        cwd=REPO,
        env={**env, "PORT": str(port)},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if wait_ready:
            wait_for(f"{base}/readyz", timeout=180, proc=proc)
        yield base, proc
    finally:
        stop(proc)
        if log and not isinstance(out, int):
            out.close()
