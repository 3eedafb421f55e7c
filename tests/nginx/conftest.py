"""Real nginx from nginx/nginx.conf.template in front of a tiny stand-in app (no model, no service).

Each nginx runs from its own run directory on free loopback ports, so these tests never collide
with a running `make stack`; every process started here is stopped by the fixture that started it.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack import nginx, processes
from devstack.nginx import local_config
from tests.nginx.standin import Front, StandInHandler, StandInServer
from tests.support import needs


@pytest.fixture(scope="session")
def cert_pair() -> Iterator[tuple[Path, Path]]:
    """One self-signed certificate for every nginx in the session, made by nginx/entrypoint."""
    needs.nginx()
    directory = Path(tempfile.mkdtemp(prefix="facesim-tls-"))
    config = local_config(directory)
    nginx.check(config)  # the entrypoint makes the certificate when none exists
    yield config.tls_cert, config.tls_key
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def standin_port() -> Iterator[int]:
    """The stand-in app on a free loopback port, in a thread of the test process."""
    server = StandInServer(("127.0.0.1", 0), StandInHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def start_front(cert_pair: tuple[Path, Path], standin_port: int) -> Iterator[Callable[..., Front]]:
    """Start an nginx with the given template overrides; all are stopped when the module ends."""
    started: list[tuple[processes.ProcessRecord, Path]] = []

    needs.nginx()

    def start(**overrides: object) -> Front:
        # Not under pytest's tmp_path: as root, nginx's workers (nobody) must traverse to it.
        run_dir = Path(tempfile.mkdtemp(prefix="facesim-nginx-"))
        cert, key = cert_pair
        fields: dict[str, object] = {
            "tls_cert": cert,
            "tls_key": key,
            "listen_https_port": processes.free_port(),
            "listen_http_port": processes.free_port(),
            "upstream_port": standin_port,
        }
        fields.update(overrides)
        fields.setdefault("public_https_port", fields["listen_https_port"])
        config = local_config(run_dir, **fields)
        record = nginx.start(config)
        started.append((record, run_dir))
        return Front(config, cert)

    yield start
    for record, run_dir in started:
        processes.stop(record, timeout=10.0)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def front(start_front: Callable[..., Front]) -> Front:
    """nginx with the production numbers (only the ports and run directory differ)."""
    return start_front()
