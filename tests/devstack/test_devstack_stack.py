"""`up` refuses to start over a busy port or a running stack, and cleans up after a failed start."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import processes, stack, state


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
    assert state.read(busy.run_dir) is None


def test_second_up_is_refused_while_the_first_runs(
    config: stack.StackConfig, tmp_path: Path
) -> None:
    _, record = processes.spawn(
        "moto-s3", [sys.executable, "-c", "import time; time.sleep(60)"], log_path=tmp_path / "l"
    )
    try:
        state.write(config.run_dir, state.StackState(processes=[record]))
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
    assert state.read(config.run_dir) is None
    assert not processes.port_accepts("127.0.0.1", config.s3_port)
