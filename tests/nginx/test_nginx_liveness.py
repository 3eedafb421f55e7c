"""The nginx container's ECS health check, run for real against the real nginx config."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from devstack import processes
from infra.constructs.containers import nginx_liveness_command
from tests.nginx.standin import Front


def run_check(port: int) -> subprocess.CompletedProcess[str]:
    """What ECS runs inside the container: the CMD form's argv, the port substituted."""
    kind, *argv = nginx_liveness_command(port)
    assert kind == "CMD"
    return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)


def test_the_check_passes_against_a_running_nginx(front: Front) -> None:
    assert run_check(front.config.listen_http_port).returncode == 0


def test_the_check_fails_when_nothing_listens() -> None:
    assert run_check(processes.free_port()).returncode != 0


def test_the_check_needs_nginx_not_the_app(start_front: Callable[..., Front]) -> None:
    # Liveness of nginx alone: its HTTP port answers the redirect itself, upstream down or not.
    alone = start_front(upstream_port=processes.free_port())
    assert run_check(alone.config.listen_http_port).returncode == 0


def test_the_check_fails_on_a_listener_that_is_not_nginx(standin_port: int) -> None:
    # Something else answering on the port (here the stand-in app's 200) is not nginx alive.
    assert run_check(standin_port).returncode != 0
