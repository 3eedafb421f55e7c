"""compose.yaml on its own: podman-compose reads it, one variable picks the model, hadolint passes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from rehearse.compose import Stack
from rehearse.engine import Engine
from service.config import DEFAULT_MODEL
from service.paths import REPO_ROOT as REPO
from tests.rehearse.conftest import compose_config

HADOLINT = REPO / ".venv" / "bin" / "hadolint"
SERVICES = {"task", "s3", "model-publish", "app", "nginx"}


def model_uris(config: dict[str, object]) -> set[str]:
    """MODEL_URI of every service that has one (the app, and the publisher that fills S3)."""
    services = config["services"]
    assert isinstance(services, dict)
    return {
        s["environment"]["MODEL_URI"]
        for s in services.values()
        if "MODEL_URI" in s.get("environment", {})
    }


def test_podman_compose_reads_every_service() -> None:
    assert set(compose_config()["services"]) == SERVICES


def test_the_default_model_is_the_services_default() -> None:
    assert model_uris(compose_config()) == {f"s3://facesim-models/{DEFAULT_MODEL.name}"}


def test_one_variable_chooses_the_model_for_app_and_publisher() -> None:
    chosen = compose_config(MODEL="digits-cnn-1.0.0.h5")
    assert model_uris(chosen) == {"s3://facesim-models/digits-cnn-1.0.0.h5"}


def test_a_model_path_chooses_the_file_and_its_manifest_the_kind() -> None:
    """make rehearse-up MODEL=models/x.h5: compose gets the file name and MODEL_KIND from its manifest."""
    env = Stack(Engine(), model="models/census-income-1.0.0.h5").env()
    assert env["MODEL"] == "census-income-1.0.0.h5"
    assert env["MODEL_KIND"] == "tabular-classification"
    chosen = compose_config(MODEL=env["MODEL"], MODEL_KIND=env["MODEL_KIND"])
    kinds = {s.get("environment", {}).get("MODEL_KIND") for s in chosen["services"].values()}
    assert "tabular-classification" in kinds and "face-similarity" not in kinds
    assert "MODEL_KIND" not in Stack(Engine()).env()  # compose.yaml's default: the face model


def test_the_s3_image_runs_the_moto_the_tests_run() -> None:
    pins = re.findall(
        r"^moto\[[a-z0-9,]+\]==(\S+)", (REPO / "requirements-dev.txt").read_text(), re.M
    )
    assert pins
    assert f'"moto[server,s3]=={pins[0]}"' in (REPO / "moto" / "Dockerfile").read_text()


def test_every_dockerfile_compose_builds_passes_hadolint() -> None:
    builds = {
        Path(s["build"]["context"]) / s["build"].get("dockerfile", "Dockerfile")
        for s in compose_config()["services"].values()
        if "build" in s
    }
    assert {p.relative_to(REPO).as_posix() for p in builds} == {
        "Dockerfile",
        "nginx/Dockerfile",
        "moto/Dockerfile",
    }
    argv = [str(HADOLINT), "--no-color", *map(str, sorted(builds))]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_makes_the_bases_first_then_each_image_a_line_per_step_in_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    done: list[str] = []
    monkeypatch.setattr("rehearse.compose.ensure_base", lambda _e, base, logs: done.append(base))
    monkeypatch.setattr(Stack, "compose", lambda _s, *args, timeout: done.append(" ".join(args)))
    Stack(Engine()).build(logs=tmp_path)
    bases = [step for step in done if not step.startswith("build ")]
    assert bases and done[: len(bases)] == bases
    assert {step for step in done[len(bases) :]} == {
        f"build {s}" for s in ("task", "s3", "app", "nginx")
    }
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(done) and lines[0] == f"build: base image {bases[0]}"
