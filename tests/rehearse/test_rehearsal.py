"""`make rehearse` as a test: the synthesized Fargate task built and run in podman, checked, broken, stopped.

The module runs rehearse.run.rehearse (what scripts/rehearse_task.py runs) once, on the default
synthesized app, and asserts each of its verdicts in its own test. What each check means is
written once, in rehearse/checks.py, faults.py and hygiene.py (each was seen failing on a broken
template: the app on 0.0.0.0, a root user, a read-only root without volumes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehearse.engine import Engine
from rehearse.rehearsal import IMAGE_SOURCES
from rehearse.report import RunRecord, format_report, write_json
from rehearse.run import rehearse
from rehearse.verdict import Verdict

# A cold run builds the bases and both images (~6-7 min on 2 cores); pytest-timeout's default is 15.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.containers, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def record(engine: Engine, cdk_out: Path, run_dir: Path) -> RunRecord:
    """One full rehearsal: build, run, check, crash the app, stop the task as ECS does."""
    return rehearse(engine, cdk_out, run_dir)


def verdicts(record: RunRecord, prefix: str) -> list[Verdict]:
    """The verdicts whose name starts with `prefix`; fails if the rehearsal stopped before them."""
    found = [v for v in record.verdicts if v.name.startswith(prefix)]
    if not found:
        broken = "\n".join(f"{v.name}: {v.detail}" for v in record.failed)
        pytest.fail(f"no verdict {prefix!r}; the rehearsal did not get there:\n{broken}")
    return found


def assert_verdicts(record: RunRecord, prefix: str) -> None:
    """Each matching check passed; one that cannot apply to this task definition is a skip."""
    found = verdicts(record, prefix)
    failed = [v for v in found if v.ok is False]
    assert not failed, "\n".join(f"{v.name}:\n{v.detail}" for v in failed)
    notes = [v for v in found if v.ok is None]
    if notes:
        pytest.skip("; ".join(f"{v.name}: {v.detail}" for v in notes))


@pytest.mark.parametrize("container", [source.container for source in IMAGE_SOURCES])
def test_image_hygiene(record: RunRecord, container: str) -> None:
    assert_verdicts(record, f"localhost/facesim-rehearse/{container}:")


def test_the_containers_are_the_task_definitions(record: RunRecord) -> None:
    assert_verdicts(record, "containers as the task definition says")


def test_target_health_check_passes_through_nginx(record: RunRecord) -> None:
    assert_verdicts(record, "target health check")


def test_predict_equals_the_service_outside_containers(record: RunRecord) -> None:
    assert_verdicts(record, "predict equals the service outside containers")


def test_health_checks_turn_healthy(record: RunRecord) -> None:
    assert_verdicts(record, "health checks")


def test_app_is_reachable_only_through_nginx(record: RunRecord) -> None:
    assert_verdicts(record, "app reachable only through the front container")


def test_processes_run_as_their_non_root_users(record: RunRecord) -> None:
    assert_verdicts(record, "non-root processes")


def test_requests_without_the_api_key_are_refused(record: RunRecord) -> None:
    if not any(v.name == "API key required" for v in record.verdicts):
        pytest.skip("the task definition gives the app no API_KEYS secret")
    assert_verdicts(record, "API key required")


def test_writes_stay_in_declared_writable_paths(record: RunRecord) -> None:
    assert_verdicts(record, "writes only in declared paths")


def test_app_crash_is_answered_with_json_503_then_recovers(record: RunRecord) -> None:
    assert_verdicts(record, "app crash: JSON 503, then recovery")


def test_ecs_style_stop_under_load_cuts_off_no_request(record: RunRecord) -> None:
    assert_verdicts(record, "ECS-style stop under load")


def test_report_has_every_image_and_verdict(record: RunRecord, tmp_path: Path) -> None:
    text = format_report(record)
    for verdict in record.verdicts:
        assert f"[{verdict.label}] {verdict.name}" in text
    write_json(record, tmp_path / "report.json")
    data = json.loads((tmp_path / "report.json").read_text())
    assert set(data["images"]) == {source.container for source in IMAGE_SOURCES}
    assert all(image["size_bytes"] > 0 and image["layers"] for image in data["images"].values())
    assert data["start_seconds"] > 0
