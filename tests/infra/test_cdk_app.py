"""The app as the CDK CLI runs it: `make synth` offline, with and without domain context."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import REPO, ROUTE53_CONTEXT
from tests.support import needs


def run_app(context: dict[str, str], outdir: Path) -> subprocess.CompletedProcess[str]:
    """`python -m infra.app` the way the CLI starts it: context and outdir in the environment."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    return subprocess.run(
        [sys.executable, "-m", "infra.app"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cdk_json_runs_the_app_module_with_the_venv_python() -> None:
    cdk_json = json.loads((REPO / "cdk.json").read_text())
    assert cdk_json["app"] == ".venv/bin/python -m infra.app"
    assert cdk_json["context"]["@aws-cdk/core:validationReportJson"] is True


def test_the_cdk_cli_is_pinned_exactly() -> None:
    pinned = json.loads((REPO / "package.json").read_text())["devDependencies"]["aws-cdk"]
    major, minor, _ = (int(p) for p in pinned.split("."))
    # 3.0.0 was published by accident (aws/aws-cdk#38113) and cannot read this library's
    # assembly schema; aws-cdk-lib 2.275 needs CLI >= 2.1148.
    assert (major, minor) >= (2, 1148) and major == 2


def test_invalid_context_stops_the_app_with_the_key_named(tmp_path: Path) -> None:
    result = run_app({"taskCpu": "3000"}, tmp_path)
    assert result.returncode != 0
    assert "invalid CDK context: taskCpu" in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


@pytest.mark.slow
def test_cdk_synth_through_the_pinned_cli_works_offline(tmp_path: Path) -> None:
    """One real `cdk synth` (the no-context one is the in-process default_synth fixture)."""
    npx = needs.npx()
    args = [f"{k}={v}" for k, v in ROUTE53_CONTEXT.items()]
    env = {
        **os.environ,
        "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # No AWS: no credentials, no instance metadata to wait for.
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
    }
    command = [npx, "--no-install", "cdk", "synth", "--quiet", "--no-notices", "-o", str(tmp_path)]
    for arg in args:
        command += ["-c", arg]
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    templates = sorted(p.name for p in tmp_path.glob("*.template.json"))
    assert templates == ["FacesimService.template.json", "FacesimStorage.template.json"]
    assert (tmp_path / "nag-acknowledgements.json").is_file()
    service = json.loads((tmp_path / "FacesimService.template.json").read_text())
    mode = service["Outputs"]["IngressMode"]["Value"]
    assert mode == "https-route53"
