""".github/: the workflows and dependabot.yml, validated offline.

Two pinned linters do what they can without GitHub: check-jsonschema with the GitHub schemas it
bundles (vendor.github-workflows, vendor.dependabot) and zizmor's offline audits. The rest is ours,
for what they miss: every `uses:` pinned by full SHA with its version comment (zizmor cannot check
the comment offline), node24 majors, no long-lived AWS keys anywhere (no tool flags those),
`id-token: write` only on the jobs that assume a role, the deploy job's environment, concurrency and
missing caches, real inputs in every `with:` (checked against the inputs of the pinned versions'
action.yml, vendored in action_inputs.json), and deploy.sh flags that exist.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.paths import REPO_ROOT as REPO

GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
BIN = REPO / ".venv" / "bin"
ACTIONS: dict[str, Any] = json.loads((Path(__file__).parent / "action_inputs.json").read_text())
# The first major of each action that runs on node24 (node20 actions are being retired).
NODE24_MAJOR = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/setup-node": 5,
    "actions/cache": 5,
    "aws-actions/configure-aws-credentials": 6,
}
PINNED_USE = re.compile(r"^\s*(?:-\s+)?uses:\s+(\S+?)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)\s*$")
LONG_LIVED = ("aws-access-key-id", "aws-secret-access-key", "aws-session-token")
CONFIGURE = "aws-actions/configure-aws-credentials"


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return dict(document)


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, name, job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()
    ]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action + "@")]


def test_there_are_the_two_workflows_and_dependabot() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "deploy.yml"]
    assert (GITHUB / "dependabot.yml").is_file()


# --- the pinned linters -------------------------------------------------------------------------


def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def test_workflows_match_githubs_schema() -> None:
    result = run_tool(
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        *map(str, WORKFLOWS),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_matches_its_schema() -> None:
    result = run_tool(
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.dependabot",
        str(GITHUB / "dependabot.yml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_offline() -> None:
    result = run_tool(str(BIN / "zizmor"), "--offline", "--no-progress", str(GITHUB))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_does_audit(tmp_path: Path) -> None:
    """Guards against an inert linter: a workflow with template injection must be reported."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = run_tool(str(BIN / "zizmor"), "--offline", "--no-progress", str(tmp_path))
    assert result.returncode != 0
    assert "template-injection" in result.stdout


# --- what the linters miss ------------------------------------------------------------------------


def uses_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]


def pin_problems(text: str) -> list[str]:
    """Every `uses:` must be owner/repo@<40 hex> # vX.Y.Z, a known action, a node24 major."""
    problems = []
    for line in uses_lines(text):
        match = PINNED_USE.match(line)
        if match is None:
            problems.append(f"not pinned by SHA with a version comment: {line.strip()}")
            continue
        action, _, version = match.groups()
        if action not in ACTIONS:
            problems.append(f"{action}: not in action_inputs.json (vendor its inputs first)")
            continue
        major = int(version[1:].split(".")[0])
        if major < NODE24_MAJOR[action]:
            problems.append(f"{action} {version}: a node20 major")
        if major != int(ACTIONS[action]["version"][1:].split(".")[0]):
            problems.append(f"{action} {version}: re-vendor its inputs for this major")
    return problems


def test_every_action_is_pinned_by_sha_with_its_version() -> None:
    for path in WORKFLOWS:
        assert uses_lines(path.read_text()), path
        assert pin_problems(path.read_text()) == [], path.name


def test_the_pin_check_catches_tags_branches_and_old_majors() -> None:
    sample = (
        "      - uses: actions/checkout@v7\n"
        "      - uses: actions/checkout@main\n"
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
    )
    problems = pin_problems(sample)
    assert sum("not pinned by SHA" in p for p in problems) == 3
    assert "actions/checkout v4.2.2: a node20 major" in problems


def test_no_long_lived_aws_keys_anywhere() -> None:
    for path in [*WORKFLOWS, GITHUB / "dependabot.yml"]:
        text = path.read_text().lower()
        for key in (*LONG_LIVED, "aws_access_key_id", "aws_secret_access_key"):
            assert key not in text, (path.name, key)


def test_id_token_write_only_on_jobs_that_assume_a_role() -> None:
    for path in WORKFLOWS:
        assert load(path)["permissions"] == {"contents": "read"}, path.name
    for workflow, name, job in jobs():
        assumes = bool(steps_using(job, CONFIGURE))
        writes_token = job.get("permissions", {}).get("id-token") == "write"
        assert assumes == writes_token, (workflow, name)
        if assumes:
            assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_configure_aws_credentials_gets_only_real_inputs() -> None:
    for workflow, name, job in jobs():
        for step in job.get("steps", []):
            action = str(step.get("uses", "")).split("@")[0]
            if action in ACTIONS:
                unknown = set(step.get("with", {})) - set(ACTIONS[action]["inputs"])
                assert unknown == set(), (workflow, name, action, unknown)
        for step in steps_using(job, CONFIGURE):
            assert {"role-to-assume", "aws-region"} <= set(step["with"])
            assert not set(step["with"]) & set(LONG_LIVED)


def test_the_input_check_catches_a_typo() -> None:
    assert "role-to-asume" not in ACTIONS[CONFIGURE]["inputs"]
    assert "role-to-assume" in ACTIONS[CONFIGURE]["inputs"]


def test_checkout_never_keeps_the_token() -> None:
    for workflow, name, job in jobs():
        for step in steps_using(job, "actions/checkout"):
            assert step.get("with", {}).get("persist-credentials") is False, (workflow, name)


def test_the_deploy_job_is_gated_serialized_and_uncached() -> None:
    deploy = load(GITHUB / "workflows" / "deploy.yml")
    assert set(deploy["on"]) == {"push", "workflow_dispatch"}
    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert set(deploy["on"]["workflow_dispatch"]["inputs"]) == {"image-tag", "model"}
    assert deploy["concurrency"]["cancel-in-progress"] is False
    (job,) = deploy["jobs"].values()
    assert job["environment"] == "production"
    assert not steps_using(job, "actions/cache")
    for step in steps_using(job, "actions/setup-python"):
        assert "cache" not in step.get("with", {})
    for step in steps_using(job, "actions/setup-node"):
        assert step["with"].get("package-manager-cache") is False
        assert "cache" not in step["with"]


def deploy_flags(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text))


def test_workflows_call_deploy_sh_with_flags_it_has() -> None:
    help_text = subprocess.run(
        ["bash", str(REPO / "scripts" / "deploy.sh"), "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                script = str(step.get("run", ""))
                if "scripts/deploy.sh" not in script:
                    continue
                lines = [ln for ln in script.splitlines() if "deploy.sh" in ln or "args" in ln]
                for flag in deploy_flags("\n".join(lines)):
                    assert flag in help_text, (path.name, job_name, flag)
    deploy = (GITHUB / "workflows" / "deploy.yml").read_text()
    assert "--non-interactive" in deploy and "--skip-bootstrap" in deploy


def test_no_expression_is_expanded_inside_a_script() -> None:
    # ${{ }} in run: is pasted into the shell before it runs (injection); values go through env.
    for workflow, name, job in jobs():
        for step in job.get("steps", []):
            assert "${{" not in str(step.get("run", "")), (workflow, name, step.get("name"))


def test_ci_cancels_superseded_runs_and_diffs_only_own_pull_requests() -> None:
    ci = load(GITHUB / "workflows" / "ci.yml")
    assert ci["concurrency"]["cancel-in-progress"] is True
    assert "github.ref" in ci["concurrency"]["group"]
    assert set(ci["jobs"]) == {"test", "lint", "synth", "diff"}
    diff = ci["jobs"]["diff"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in diff["if"]
    (configure,) = steps_using(diff, CONFIGURE)
    assert configure["with"]["role-to-assume"] == "${{ vars.AWS_DIFF_ROLE_ARN }}"
    assert "make test" in [s.get("run") for s in ci["jobs"]["test"]["steps"]]


def test_dependabot_watches_actions_pip_and_npm_with_a_cooldown() -> None:
    config = load(GITHUB / "dependabot.yml")
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip", "npm"}
    for update in ecosystems.values():
        assert update["cooldown"]["default-days"] >= 3


@pytest.mark.parametrize("tool", ["check-jsonschema", "zizmor"])
def test_the_linters_are_pinned_in_requirements_dev(tool: str) -> None:
    pins = (REPO / "requirements-dev.txt").read_text()
    assert re.search(rf"^{tool}==\d+\.\d+\.\d+$", pins, re.MULTILINE), tool
    assert shutil.which(tool, path=str(BIN)) is not None
