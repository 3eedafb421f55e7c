"""scripts/deploy.sh: shellcheck-clean, and --dry-run prints every step while calling nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.conftest import REPO

SCRIPT = REPO / "scripts" / "deploy.sh"
SHELLCHECK = REPO / ".venv" / "bin" / "shellcheck"
TOOLS_THAT_REACH_OUT = ("aws", "docker", "npx", "cdk", "curl")
DOMAIN_ARGS = [
    "--domain",
    "api.example.com",
    "--hosted-zone-id",
    "Z123456ABCDEFG",
    "--hosted-zone-name",
    "example.com",
]


@pytest.fixture
def tripwire(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PATH whose aws/docker/npx/... only record that they were called, and fail."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.log"
    for tool in TOOLS_THAT_REACH_OUT:
        shim = bin_dir / tool
        shim.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\nexit 1\n')
        shim.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path),
        "AWS_REGION": "eu-central-1",
    }
    return env, calls


def deploy(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_shellcheck_is_clean() -> None:
    result = subprocess.run(
        [str(SHELLCHECK), "--severity=style", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dry_run_prints_every_step_in_order_and_calls_nothing(
    tripwire: tuple[dict[str, str], Path],
) -> None:
    env, calls = tripwire
    result = deploy(env, "--dry-run", *DOMAIN_ARGS, "--image-tag", "git-abc123", "-c", "maxCount=4")
    assert result.returncode == 0, result.stderr
    assert not calls.exists(), calls.read_text()
    commands = [line[2:] for line in result.stdout.splitlines() if line.startswith("+ ")]
    expected_order = [
        "aws sts get-caller-identity",
        "npx --no-install cdk bootstrap aws://<account-id>/eu-central-1",
        "npx --no-install cdk deploy FacesimStorage",
        "aws ecr get-login-password --region eu-central-1 | docker login",
        "docker build --platform linux/amd64 --pull -t '<AppRepositoryUri",
        "docker push '<AppRepositoryUri",
        "docker build --platform linux/amd64 --pull -t '<NginxRepositoryUri",
        "docker push '<NginxRepositoryUri",
        "scripts/publish_model.py --model models/facesim-lfw-1.2.0.h5 --bucket",
        "npx --no-install cdk deploy FacesimService",
    ]
    position = 0
    for fragment in expected_order:
        matches = [i for i, c in enumerate(commands) if fragment in c and i >= position]
        assert matches, f"{fragment!r} missing or out of order in:\n" + "\n".join(commands)
        position = matches[0] + 1
    builds = [c for c in commands if c.startswith("docker build")]
    assert [b.split()[-1] for b in builds] == [".", "nginx"]  # Dockerfile and nginx/Dockerfile
    for stack in ("FacesimStorage", "FacesimService"):
        (deploy_line,) = [c for c in commands if f"cdk deploy {stack}" in c]
        for context in (
            "region=eu-central-1",
            "imageTag=git-abc123",
            "modelName=facesim-lfw",
            "modelVersion=1.2.0",
            "domainName=api.example.com",
            "hostedZoneId=Z123456ABCDEFG",
            "hostedZoneName=example.com",
            "maxCount=4",
        ):
            assert f"-c {context}" in deploy_line, (context, deploy_line)
        assert "--outputs-file" in deploy_line
    assert "endpoint URL" in result.stdout


def test_dry_run_without_domain_warns_about_the_fallback(
    tripwire: tuple[dict[str, str], Path],
) -> None:
    env, calls = tripwire
    result = deploy(env, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert not calls.exists()
    assert "plain-HTTP fallback" in result.stdout
    assert "domainName=" not in result.stdout


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--bogus"], "unknown argument"),
        (["--domain", "api.example.com"], "needs --hosted-zone-id"),
        (["--hosted-zone-id", "Z1"], "need --domain"),
        (["--model", "models/latest.h5"], "<name>-<version>.h5"),
    ],
)
def test_bad_arguments_stop_before_anything_runs(
    tripwire: tuple[dict[str, str], Path], args: list[str], complaint: str
) -> None:
    env, calls = tripwire
    result = deploy(env, "--dry-run", *args)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert not calls.exists()


def test_a_real_run_refuses_without_the_tools(
    tripwire: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, calls = tripwire
    bare = tmp_path / "bare-bin"  # only what the script needs before it checks its tools
    bare.mkdir()
    for tool in ("dirname", "basename"):
        found = shutil.which(tool)
        assert found is not None
        (bare / tool).symlink_to(found)
    env = {**env, "PATH": str(bare)}
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "is required" in result.stderr
    assert not calls.exists()
