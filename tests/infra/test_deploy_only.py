"""A deploy-only install (requirements-deploy.txt) synthesizes and runs deploy.sh's Python steps.

No second virtual environment is installed here (that needs the network); instead the steps run
in a Python whose imports are limited to what that install would hold: the standard library, our
code, and the distributions requirements-deploy.txt names with everything they require. Importing
anything else (TensorFlow, dlib, OpenCV, numpy, FastAPI...) fails the step, as it would on an
Intel Mac or a slim CI runner.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from service.config import DEFAULT_MODEL
from tests.infra.conftest import CDK_JSON_CONTEXT, REPO

DEPLOY_REQUIREMENTS = REPO / "requirements-deploy.txt"
OUR_PACKAGES = {"infra", "service", "scripts"}
# Runs first in the child: refuse any top-level import outside the allowed set.
GUARD = """
import importlib.abc, json, sys
ALLOWED = set(json.loads(sys.argv.pop(1)))
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in ALLOWED or top in sys.stdlib_module_names or top.startswith("_"):
            return None
        raise ImportError(f"{name} is not in a deploy-only install (requirements-deploy.txt)")
sys.meta_path.insert(0, Refuse())
"""


def requirement_names(path: Path) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(Requirement(line).name)
    return names


def closure(names: list[str]) -> set[str]:
    """The distributions, and every distribution they require (markers of this machine)."""
    seen: set[str] = set()
    todo = [re.sub(r"[-_.]+", "-", n).lower() for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for raw in metadata.requires(name) or []:
            requirement = Requirement(raw)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(re.sub(r"[-_.]+", "-", requirement.name).lower())
    return seen


def allowed_modules() -> set[str]:
    """Top-level import names of the deploy-only distributions, plus our own packages."""
    distributions = closure(requirement_names(DEPLOY_REQUIREMENTS))
    modules = set(OUR_PACKAGES)
    for module, owners in metadata.packages_distributions().items():
        if {re.sub(r"[-_.]+", "-", o).lower() for o in owners} & distributions:
            modules.add(module)
    return modules


def run_guarded(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "step.py"
    script.write_text(GUARD + code)
    return subprocess.run(
        [sys.executable, str(script), json.dumps(sorted(allowed_modules()))],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_deploy_requirements_leave_out_the_ml_stack() -> None:
    allowed = allowed_modules()
    for heavy in ("tensorflow", "keras", "dlib", "cv2", "numpy", "PIL", "fastapi", "h5py"):
        assert heavy not in allowed, heavy
    for needed in ("aws_cdk", "constructs", "cdk_nag", "boto3", "pydantic"):
        assert needed in allowed, needed


def test_the_guard_refuses_what_a_deploy_only_install_lacks(tmp_path: Path) -> None:
    result = run_guarded("import numpy\n", tmp_path)
    assert result.returncode != 0
    assert "numpy is not in a deploy-only install" in result.stderr


def test_synth_and_deploy_steps_run_from_the_deploy_only_install(tmp_path: Path) -> None:
    outdir = tmp_path / "cdk.out"
    context = {**CDK_JSON_CONTEXT, "insecureHttp": "true"}
    code = f"""
import runpy, sys
sys.argv = ["infra.app"]
runpy.run_module("infra.app", run_name="__main__")
from infra import deploy_plan, publish, smoke  # deploy.sh's other Python steps
from infra.ci import app as ci_app
model = deploy_plan.main(["default-model"])
plan = deploy_plan.main(["plan", "--assembly", {str(outdir)!r}, "--model", "{_default_model()}"])
sys.exit(model or plan)
"""
    result = run_guarded(
        code,
        tmp_path,
        CDK_CONTEXT_JSON=json.dumps(context),
        CDK_OUTDIR=str(outdir),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (outdir / "FacesimService.template.json").is_file()
    assert "MODEL_KIND=face-similarity" in result.stdout


def _default_model() -> str:
    return str(DEFAULT_MODEL)
