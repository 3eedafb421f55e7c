"""`up` refuses to start over a busy port or a running stack, and cleans up after a failed start."""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import processes, stack
from devstack.processes import ProcessRecord


@pytest.fixture()
def config(tmp_path: Path) -> stack.StackConfig:
    model = tmp_path / "model-1.h5"
    model.write_bytes(b"not really a model")
    return stack.StackConfig(
        run_dir=tmp_path / "run",
        https_port=processes.free_port(),
        http_port=processes.free_port(),
        service_port=processes.free_port(),
        s3_port=processes.free_port(),
        model=model,
    )


@pytest.fixture()
def listener() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_busy_port_is_refused_before_anything_starts(
    config: stack.StackConfig, listener: int
) -> None:
    busy = stack.StackConfig(**{**config.__dict__, "https_port": listener})
    with pytest.raises(stack.StackError, match=str(listener)):
        stack.up(busy)
    assert stack.read_state(busy.run_dir) is None


def test_second_up_is_refused_while_the_first_runs(
    config: stack.StackConfig, tmp_path: Path
) -> None:
    _, record = processes.spawn(
        "moto-s3", [sys.executable, "-c", "import time; time.sleep(60)"], log_path=tmp_path / "l"
    )
    try:
        stack.write_state(config.run_dir, stack.StackState(processes=[record]))
        with pytest.raises(stack.StackError, match="already running"):
            stack.up(config)
        assert processes.is_running(record)
    finally:
        processes.stop(record, timeout=5)


def test_missing_model_is_refused(config: stack.StackConfig, tmp_path: Path) -> None:
    missing = stack.StackConfig(**{**config.__dict__, "model": tmp_path / "nope.h5"})
    with pytest.raises(stack.StackError, match=r"nope\.h5"):
        stack.up(missing)


@pytest.mark.e2e
def test_failed_start_stops_what_it_started(config: stack.StackConfig) -> None:
    """moto starts, publishing a model without manifest fails: moto is stopped, no state left."""
    with pytest.raises(stack.StackError, match="publishing"):
        stack.up(config)
    assert stack.read_state(config.run_dir) is None
    assert not processes.port_accepts("127.0.0.1", config.s3_port)


def test_state_file_round_trips(tmp_path: Path) -> None:
    record = ProcessRecord("nginx", 123, 1700000000.5, int(signal.SIGQUIT))
    written = stack.StackState([record], {"page": "https://127.0.0.1:8443/"}, "s3://b/k.h5", "/c")
    stack.write_state(tmp_path, written)
    assert stack.read_state(tmp_path) == written
    stack.remove_state(tmp_path)
    assert stack.read_state(tmp_path) is None
