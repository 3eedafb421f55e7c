"""Start, wait for and stop the processes a benchmark measures (all on loopback)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.inputs import REPO
from devstack.processes import free_port, terminate

__all__ = ["Running", "free_port", "launch", "stop", "tail", "wait_status"]


def wait_status(
    url: str, proc: subprocess.Popen[bytes], *, timeout: float, interval: float = 0.05
) -> float:
    """Poll url until it answers 200; returns the seconds waited. Fails early if proc died."""
    started = time.perf_counter()
    deadline = started + timeout
    last = "no answer"
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before {url} was 200")
        try:
            got = httpx.get(url, timeout=2.0).status_code
            if got == 200:
                return time.perf_counter() - started
            last = f"HTTP {got}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(interval)
    raise TimeoutError(f"{url} was not 200 within {timeout:.0f} s (last: {last})")


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it lingers."""
    terminate(proc, timeout)


@dataclass(frozen=True)
class Running:
    """A started server: its process, base URL and log file."""

    proc: subprocess.Popen[bytes]
    base_url: str
    log: Path
    started_at: float  # perf_counter() just before Popen


@contextmanager
def launch(
    command: Sequence[str], *, env: dict[str, str], port: int, log: Path
) -> Iterator[Running]:
    """Run a server command from the repository root with its output in `log`; stop it after."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(command), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield Running(proc, f"http://127.0.0.1:{port}", log, started)
        finally:
            stop(proc)


def tail(path: Path, lines: int = 15) -> str:
    """The end of a log, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
