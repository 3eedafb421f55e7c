"""Start, wait for and stop local processes, on psutil: the one helper of `make stack`, the bench
and the tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ProcessRecord:
    """A process this code started: the pid plus its start time, so a reused pid is not mistaken."""

    name: str
    pid: int
    create_time: float
    stop_signal: int


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stop_signal: int = signal.SIGTERM,
) -> tuple[psutil.Popen, ProcessRecord]:
    """Start argv in its own session (the caller's Ctrl-C does not reach it), output to log_path."""
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") if log_path else open(os.devnull, "wb") as log:
        proc = psutil.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    try:
        create_time = proc.create_time()
    except psutil.NoSuchProcess:
        create_time = 0.0  # exited at once; is_running() reports it as gone
    return proc, ProcessRecord(name, proc.pid, create_time, int(stop_signal))


def is_running(record: ProcessRecord) -> bool:
    """True while the recorded process (same pid AND same start time) is alive and not a zombie."""
    try:
        proc = psutil.Process(record.pid)
        same = abs(proc.create_time() - record.create_time) < 0.01
        return same and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop(record: ProcessRecord, *, timeout: float = 30.0) -> None:
    """Stop the recorded process and the session spawn() made it lead (its workers); nothing else.

    Its own stop signal first (nginx: SIGQUIT, graceful), SIGKILL to what is left after `timeout`.
    """
    if not is_running(record):
        return
    leader = psutil.Process(record.pid)
    tree = [leader]
    with contextlib.suppress(psutil.NoSuchProcess):
        tree += leader.children(recursive=True)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(record.pid, record.stop_signal)  # its session's group id is its pid
    _, alive = psutil.wait_procs(tree, timeout=timeout)  # reaps the ones that are our children
    if alive:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(record.pid, signal.SIGKILL)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(alive, timeout=5.0)


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    alive: Callable[[], bool] | None = None,
    log_path: Path | None = None,
    interval: float = 0.1,
) -> float:
    """Poll `check`; fail early if `alive` says the process died, quoting its log; seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited{log_tail(log_path)}")
        time.sleep(interval)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s{log_tail(log_path)}")


def answers(url: str, *, cafile: Path | None = None) -> bool:
    """Whether url answers 200 now (HTTPS verified against cafile when given, else not)."""
    verify = ssl.create_default_context(cafile=str(cafile)) if cafile else False
    try:
        return httpx.get(url, timeout=2.0, verify=verify).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(
    url: str, *, timeout: float, proc: psutil.Popen, log_path: Path | None, interval: float = 0.05
) -> float:
    """Poll url until it answers 200; fail early if proc exited; seconds waited."""
    return wait_until(
        lambda: answers(url),
        timeout=timeout,
        what=f"{url} answering 200",
        alive=lambda: proc.poll() is None,
        log_path=log_path,
        interval=interval,
    )


def log_tail(log_path: Path | None, lines: int = 20) -> str:
    """The end of a log, for error messages ('' when there is none)."""
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return f"; last lines of {log_path}:\n" + "\n".join(tail)


@contextmanager
def running(
    name: str,
    argv: Sequence[str],
    *,
    ready_url: str | None = None,
    timeout: float = 180.0,
    **spawn_options: Any,
) -> Iterator[psutil.Popen]:
    """spawn() (with its log_path, env, cwd) for a `with` block, once ready_url answers 200."""
    proc, record = spawn(name, argv, **spawn_options)
    try:
        if ready_url is not None:
            log_path = spawn_options.get("log_path")
            wait_for(ready_url, timeout=timeout, proc=proc, log_path=log_path, interval=0.02)
        yield proc
    finally:
        stop(record, timeout=20.0)


def port_accepts(host: str, port: int) -> bool:
    """Whether something listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (for tests, which must not collide with `make stack`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
