"""Start, recognise and stop the stack's child processes, and wait for them to answer."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil


@dataclass(frozen=True)
class ProcessRecord:
    """A process this code started: the pid plus its start time, so a reused pid is not mistaken."""

    name: str
    pid: int
    create_time: float
    stop_signal: int
    log_path: str

    def to_json(self) -> dict[str, Any]:
        """For the state file."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProcessRecord:
        """From the state file."""
        return cls(
            name=str(data["name"]),
            pid=int(data["pid"]),
            create_time=float(data["create_time"]),
            stop_signal=int(data["stop_signal"]),
            log_path=str(data["log_path"]),
        )


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stop_signal: int = signal.SIGTERM,
) -> tuple[subprocess.Popen[bytes], ProcessRecord]:
    """Start argv in its own session (the caller's Ctrl-C does not reach it), output to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    try:
        create_time = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:
        create_time = 0.0  # exited at once; is_running() reports it as gone
    return proc, ProcessRecord(name, proc.pid, create_time, int(stop_signal), str(log_path))


def is_running(record: ProcessRecord) -> bool:
    """True while the recorded process (same pid AND same start time) is alive and not a zombie."""
    try:
        proc = psutil.Process(record.pid)
        return (
            abs(proc.create_time() - record.create_time) < 0.01
            and proc.status() != psutil.STATUS_ZOMBIE
        )
    except psutil.NoSuchProcess:
        return False


def stop(record: ProcessRecord, *, timeout: float = 30.0) -> None:
    """Stop the recorded process and the session it leads (its workers); nothing else.

    Its own stop signal first (nginx: SIGQUIT, graceful), SIGKILL after `timeout` seconds.
    """
    if not is_running(record):
        return
    _signal_group(record, record.stop_signal)
    if _wait_gone(record, timeout):
        return
    _signal_group(record, signal.SIGKILL)
    _wait_gone(record, 5.0)


def _signal_group(record: ProcessRecord, sig: int) -> None:
    """Signal the session spawn() created (its pgid is the leader's pid); fall back to the pid."""
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(record.pid) == record.pid:
            os.killpg(record.pid, sig)
        else:
            os.kill(record.pid, sig)


def _wait_gone(record: ProcessRecord, timeout: float) -> bool:
    """Wait for the process to exit, reaping it when it is our child."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(record.pid, os.WNOHANG)
        if not is_running(record):
            return True
        time.sleep(0.05)
    return False


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    alive: Callable[[], bool] | None = None,
    log_path: Path | None = None,
) -> None:
    """Poll `check` every 0.1 s; fail early if `alive` says the process died; quote the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited{_log_tail(log_path)}")
        time.sleep(0.1)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s{_log_tail(log_path)}")


def _log_tail(log_path: Path | None, lines: int = 20) -> str:
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return f"; last lines of {log_path}:\n" + "\n".join(tail)


def port_accepts(host: str, port: int) -> bool:
    """Whether something listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for tests, which must not collide with `make stack`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def terminate(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Stop a child we hold the Popen of: SIGTERM, then SIGKILL if it lingers past `timeout`."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
