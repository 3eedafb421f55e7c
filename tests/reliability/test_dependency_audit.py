"""pip-audit over what the service image installs: requirements.txt and everything it pulls in, at
the versions installed here. Clean, or each finding justified below; never a fake clean result."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Needs a vulnerability database on the internet: never part of `make test`; run `make audit`.
from service.paths import REPO_ROOT as REPO

pytestmark = [pytest.mark.slow, pytest.mark.network]

# Vulnerability id -> why it does not apply to this service. Empty: none has been accepted.
ACCEPTED: dict[str, str] = {}


def runtime_closure(requirements: Path) -> dict[str, str]:
    """name -> installed version for requirements.txt and its dependencies (extras and markers
    honoured), as the Dockerfile's `pip install -r requirements.txt` installs them."""
    pending = [
        Requirement(line)
        for raw in requirements.read_text().splitlines()
        if (line := raw.split("#", 1)[0].strip()) and not line.startswith("-")
    ]
    found: dict[str, str] = {}
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        distribution = metadata.distribution(name)
        found[name] = distribution.version
        for spec in distribution.requires or []:
            dependency = Requirement(spec)
            wanted = [{**default_environment(), "extra": extra} for extra in requirement.extras]
            marker = dependency.marker
            if marker is None or any(marker.evaluate(env) for env in wanted or [{"extra": ""}]):
                pending.append(dependency)
    return found


def test_runtime_closure_covers_the_service_stack() -> None:
    closure = runtime_closure(REPO / "requirements.txt")
    assert {"fastapi", "starlette", "uvicorn", "pillow", "tensorflow-cpu", "boto3"} <= set(closure)
    assert {"httptools", "uvloop"} & set(closure), "uvicorn[standard]'s extras were not followed"
    assert "pytest" not in closure and "moto" not in closure, "dev tools do not ship"


def audit(pinned: Path, service: str, workdir: Path) -> tuple[list[dict[str, Any]] | None, str]:
    """pip-audit's per-dependency report from one vulnerability service, or None and why not."""
    pip_audit = shutil.which("pip-audit", path=str(Path(sys.executable).parent))
    assert pip_audit, "pip-audit is not installed (requirements-dev.txt)"
    report = workdir / f"audit-{service}.json"
    result = subprocess.run(
        [pip_audit, "--requirement", str(pinned), "--no-deps", "--disable-pip",
         "--vulnerability-service", service, "--progress-spinner", "off", "--format", "json",
         "--output", str(report), "--cache-dir", str(workdir / "cache"), "--timeout", "20"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if not report.exists():
        last = re.sub(r"\s+", " ", (result.stderr.strip().splitlines() or ["no output"])[-1])
        return None, f"{service}: {last[:300]}"
    dependencies: list[dict[str, Any]] = json.loads(report.read_text())["dependencies"]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    if skipped:
        return dependencies, (
            f"{service}: {len(skipped)} of {len(dependencies)} dependencies not audited "
            f"(e.g. '{skipped[0]['skip_reason']}')"
        )
    return dependencies, ""


def test_pip_audit_finds_no_unjustified_vulnerability(tmp_path: Path) -> None:
    closure = runtime_closure(REPO / "requirements.txt")
    pinned = tmp_path / "runtime-closure.txt"
    pinned.write_text("".join(f"{name}=={version}\n" for name, version in sorted(closure.items())))
    reasons = []
    for service in ("pypi", "osv"):
        dependencies, reason = audit(pinned, service, tmp_path)
        findings = [
            f"{dep['name']} {dep['version']}: {vuln['id']} (fix: {', '.join(vuln['fix_versions'])})"
            for dep in dependencies or []
            for vuln in dep.get("vulns", [])
            if vuln["id"] not in ACCEPTED and not set(vuln.get("aliases", [])) & set(ACCEPTED)
        ]
        assert not findings, "vulnerable runtime dependencies:\n" + "\n".join(findings)
        if not reason:
            assert dependencies is not None and len(dependencies) == len(closure)
            return
        reasons.append(reason)
    # pip-audit itself would print "No known vulnerabilities found" here: that proves nothing.
    pytest.skip("no vulnerability database answered for every dependency; " + "; ".join(reasons))
