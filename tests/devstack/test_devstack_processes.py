"""Process records: `down` stops exactly what `up` started, never a process that reused a pid."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import processes
from devstack.processes import ProcessRecord


@pytest.fixture()
def sleeper(tmp_path: Path) -> Iterator[ProcessRecord]:
    _, record = processes.spawn(
        "sleeper",
        [sys.executable, "-c", "import time; time.sleep(60)"],
        log_path=tmp_path / "s.log",
    )
    yield record
    processes.stop(record, timeout=5)


def test_spawned_process_is_recognised_and_stopped(sleeper: ProcessRecord) -> None:
    assert processes.is_running(sleeper)
    processes.stop(sleeper, timeout=5)
    assert not processes.is_running(sleeper)


def test_a_different_process_with_the_same_pid_is_not_touched(sleeper: ProcessRecord) -> None:
    """A record whose start time does not match (pid reused after a reboot) is treated as gone."""
    impostor = dataclasses.replace(sleeper, create_time=sleeper.create_time - 3600)
    assert not processes.is_running(impostor)
    processes.stop(impostor, timeout=1)
    assert processes.is_running(sleeper)


def test_stop_escalates_to_sigkill_when_the_stop_signal_is_ignored(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ignoring', flush=True); time.sleep(60)"
    )
    log = tmp_path / "stubborn.log"
    _, record = processes.spawn("stubborn", [sys.executable, "-c", code], log_path=log)
    processes.wait_until(lambda: "ignoring" in log.read_text(), timeout=10, what="stubborn")
    started = time.monotonic()
    processes.stop(record, timeout=1.0)
    assert not processes.is_running(record)
    assert time.monotonic() - started >= 1.0  # SIGTERM was ignored; SIGKILL ended it
