"""Ctrl-C in the terminal (SIGINT to the whole process group) stops the service quietly."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil

from tests.reliability.conftest import running_service


def test_ctrl_c_stops_the_service_and_its_cnn_worker_without_a_traceback(
    bundled_model: Path, tmp_path: Path
) -> None:
    # The bundled model's recipe has the CNN detector, so its worker process runs (the tiny one's not).
    with running_service(bundled_model, tmp_path) as service:
        workers = psutil.Process(service.pid).children(recursive=True)
        assert workers, "the face kind's CNN worker process should be running once ready"
        os.killpg(os.getpgid(service.pid), signal.SIGINT)  # what the terminal does on Ctrl-C
        assert service.proc.wait(timeout=60) == 0
        _, alive = psutil.wait_procs(workers, timeout=30)
        log = service.log_text()
    assert not alive
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log[-3000:]
