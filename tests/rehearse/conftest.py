"""The rehearsal's fixtures: its podman (or a skip saying why not), the synthesized app, a log folder.

Podman storage is the one `make rehearse` uses (.cache/rehearse/), so its cached bases and layers
serve both. Only when podman cannot run containers here is the rehearsal skipped, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rehearse.engine import Engine, EngineUnavailable
from tests.infra.conftest import DEFAULT_CONTEXT, synthesize
from tests.support import needs


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The rehearsal's podman, or a skip saying why it cannot run here."""
    engine = Engine()
    try:
        engine.check_available()
    except EngineUnavailable as exc:
        needs.not_here(f"podman cannot run containers on this machine: {exc}")
    return engine


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `cdk synth` writes to cdk.out/ with the default context (no domain: insecureHttp)."""
    return synthesize(DEFAULT_CONTEXT, tmp_path_factory.mktemp("cdk.out")).outdir


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logs of this session's rehearsal (builds, containers, moto, the reference service)."""
    return tmp_path_factory.mktemp("rehearsal")
