"""`make smoke`, the post-deploy check, against the local stack over HTTPS, with API keys on."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.paths import REPO_ROOT
from tests.e2e.conftest import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

API_KEY = secrets.token_urlsafe(24)
CHECKS = (
    "tls",
    "readyz",
    "security headers",
    "refused without key",
    "docs",
    "model",
    "kind examples",
    "postman collection",
)


@pytest.fixture(scope="module")
def keyed_stack(bundled_model: Path) -> Iterator[Stack]:
    """`make stack` with API_KEYS set, as a deployment has them (a second key rotated in)."""
    with running_stack(bundled_model, f"--api-keys={API_KEY},spare-{API_KEY}") as started:
        yield started


def make_smoke(stack: Stack, *options: str, key: str | None) -> subprocess.CompletedProcess[str]:
    """The README's command, run by make as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k != "FACESIM_API_KEY"}
    if key is not None:
        env["FACESIM_API_KEY"] = key
    return subprocess.run(
        ["make", "--no-print-directory", "smoke", f"URL={stack.https_url}",
         f"CACERT={stack.cert}", *options],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def status_of(output: str) -> dict[str, str]:
    """Check name -> ok/FAIL/skip from the report."""
    found = {}
    for line in output.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] in ("ok", "FAIL", "skip"):
            found[parts[1].split(":", 1)[0]] = parts[0]
    return found


def test_smoke_passes_end_to_end_with_the_key(keyed_stack: Stack) -> None:
    result = make_smoke(keyed_stack, "SMOKE_DOCS=on", key=API_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(result.stdout) == dict.fromkeys(CHECKS, "ok")
    assert "smoke test passed" in result.stdout
    assert API_KEY not in result.stdout + result.stderr  # never echoed


def test_a_wrong_key_fails_the_collection_and_says_how_to_roll_back(keyed_stack: Stack) -> None:
    result = make_smoke(keyed_stack, key="not-" + API_KEY)
    assert result.returncode != 0
    statuses = status_of(result.stdout)
    assert (
        statuses["model"] == statuses["kind examples"] == statuses["postman collection"] == "FAIL"
    )
    assert "SMOKE TEST FAILED: model, kind examples, postman collection" in result.stdout
    assert "--image-tag <previous>" in result.stdout


def test_docs_in_the_wrong_state_fail(keyed_stack: Stack) -> None:
    result = make_smoke(keyed_stack, "SMOKE_DOCS=off", key=API_KEY)
    assert result.returncode != 0
    assert status_of(result.stdout)["docs"] == "FAIL"


def test_an_open_endpoint_fails_when_keys_are_expected(stack: Stack) -> None:
    # The session's stack runs without API_KEYS, like a deploy that turned them off by mistake.
    result = make_smoke(stack, key=API_KEY)
    assert result.returncode != 0
    assert status_of(result.stdout)["refused without key"] == "FAIL"
    keys_off = make_smoke(stack, "SMOKE_API_KEYS=off", key=None)
    assert keys_off.returncode == 0, keys_off.stdout + keys_off.stderr


def test_an_untrusted_certificate_fails_tls(keyed_stack: Stack) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "smoke", f"URL={keyed_stack.https_url}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert status_of(result.stdout)["tls"] == "FAIL"
    assert "CERTIFICATE_VERIFY_FAILED" in result.stdout


def test_smoke_sends_a_tabular_models_own_rows_and_runs_its_postman_folder() -> None:
    census = REPO_ROOT / "models" / "census-income-1.0.0.h5"
    with running_stack(census, f"--api-keys={API_KEY}") as stack:
        result = make_smoke(stack, key=API_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(result.stdout)["kind examples"] == "ok"
    assert "census-income" in result.stdout
    assert "tabular-classification (census-income): every request and test passed" in result.stdout
