"""The whole local stack, started ONCE per session exactly as `make stack` does (scripts/stack.py).

moto's S3 server, the bundled model published into it, `python -m service` reading it from S3,
nginx with a fresh certificate in front; free loopback ports, so a running `make stack` is not
disturbed. The finalizer runs `scripts/stack.py down` and fails if any started process survives.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack import processes
from devstack.stack import read_state
from service.paths import REPO_ROOT
from service.paths import SAMPLE_FACES as FACES
from tests.support import needs

STACK_CLI = REPO_ROOT / "scripts" / "stack.py"


@dataclass(frozen=True)
class Stack:
    """A running stack: where to reach nginx and the service, and the certificate to trust."""

    run_dir: Path
    https_url: str
    http_url: str
    service_url: str
    cert: Path
    model_uri: str
    pids: tuple[int, ...]

    def client(self, **kwargs: object) -> httpx.Client:
        """HTTPS through nginx, verifying the stack's self-signed certificate."""
        context = ssl.create_default_context(cafile=str(self.cert))
        return httpx.Client(base_url=self.https_url, verify=context, timeout=60.0, **kwargs)  # type: ignore[arg-type]

    def direct(self) -> httpx.Client:
        """Plain HTTP straight to the service, bypassing nginx."""
        return httpx.Client(base_url=self.service_url, timeout=60.0)

    def access_log_entry(self, request_id: str) -> dict[str, Any]:
        """nginx's JSON access-log line for this request id; nginx writes it when the connection
        is done, which for a refused upload is after its lingering close, so wait for it."""
        log = self.run_dir / "nginx" / "logs" / "access.log"
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            for line in log.read_text().splitlines():
                entry = json.loads(line)
                if entry["request_id"] == request_id:
                    return dict(entry)
            time.sleep(0.05)
        raise AssertionError(f"no access-log line with request_id {request_id}")


def stack_cli(command: str, run_dir: Path, *args: str, timeout: float) -> str:
    """Run scripts/stack.py the way the Makefile does; its output (raises on failure)."""
    result = subprocess.run(
        [sys.executable, str(STACK_CLI), command, "--run-dir", str(run_dir), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        logs = "".join(
            f"\n--- {log}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(run_dir.glob("**/*.log"))
        )
        raise RuntimeError(f"stack.py {command} failed:\n{result.stdout}{result.stderr}{logs}")
    return result.stdout


@contextlib.contextmanager
def running_stack(model: Path, *extra: str) -> Iterator[Stack]:
    """`scripts/stack.py up` on free ports; `down` afterwards, checking nothing is left running."""
    needs.nginx()
    # Outside pytest's 0700 tmp dir: as root, nginx's workers (nobody) must reach their temp files.
    run_dir = Path(tempfile.mkdtemp(prefix="facesim-stack-"))
    run_dir.chmod(0o755)
    ports = {name: processes.free_port() for name in ("https", "http", "service", "s3")}
    args = [f"--{name}-port={port}" for name, port in ports.items()]
    try:
        stack_cli("up", run_dir, *args, f"--model={model}", *extra, timeout=420)
    except BaseException:
        stack_cli("down", run_dir, timeout=120)
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    recorded = read_state(run_dir)
    assert recorded is not None
    yield Stack(
        run_dir=run_dir,
        https_url=f"https://127.0.0.1:{ports['https']}",
        http_url=f"http://127.0.0.1:{ports['http']}",
        service_url=f"http://127.0.0.1:{ports['service']}",
        cert=Path(recorded.cert),
        model_uri=recorded.model_uri,
        pids=tuple(p.pid for p in recorded.processes),
    )
    stack_cli("down", run_dir, timeout=120)
    survivors = [p for p in recorded.processes if processes.is_running(p)]
    for record in survivors:
        processes.stop(record, timeout=5)
    shutil.rmtree(run_dir, ignore_errors=True)
    assert not survivors, f"stack.py down left processes running: {survivors}"


@pytest.fixture(scope="session")
def stack(bundled_model: Path) -> Iterator[Stack]:
    """The local stack exactly as `make stack` starts it (no API keys), once per session."""
    with running_stack(bundled_model) as started:
        yield started


@pytest.fixture(scope="session")
def face_files() -> dict[str, Path]:
    """The committed sample faces: a1, a2 the same person; b1 another."""
    return {name: FACES / f"{name}.jpg" for name in ("a1", "a2", "b1")}
