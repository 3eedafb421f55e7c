"""scripts/deploy.sh: shellcheck-clean, bash 3.2-safe, and --dry-run synthesizes, then prints every
step the real run takes (and only those) while calling nothing that reaches AWS or Docker.

bash 3.2 (macOS's /bin/bash): neither Debian (bash and bash-static are 5.2) nor PyPI ships a bash
3.2 build, so the script is not run under one. Instead (1) a static check refuses bash 4+ syntax
and any unguarded expansion of an array that can be empty, and (2) the script runs with bash 3.2's
`set -u` rule emulated: every `${A[@]}` becomes `${A[@]?...}`, which bash 5 also treats as an
error for an empty array, exactly where bash 3.2 (and 4.0-4.3) stop with "unbound variable".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.conftest import REPO

SCRIPT = REPO / "scripts" / "deploy.sh"
SHELLCHECK = REPO / ".venv" / "bin" / "shellcheck"
TOOLS_THAT_REACH_OUT = ("aws", "docker", "curl", "cdk")
# A committed model, named explicitly (the bundled default may not be in this checkout yet).
MODEL_ARGS = ["--model", "models/facesim-resnet-2.0.0.h5"]
DOMAIN_ARGS = [
    "--domain",
    "api.example.com",
    "--hosted-zone-id",
    "Z123456ABCDEFG",
    "--hosted-zone-name",
    "example.com",
]
# Syntax bash 3.2 does not have (bash 4.0-5.x additions).
BASH4_SYNTAX = {
    r"\bdeclare\s+-[a-zA-Z]*[An]": "associative arrays / namerefs (declare -A, -n)",
    r"\blocal\s+-[a-zA-Z]*[An]": "associative arrays / namerefs (local -A, -n)",
    r"\b(mapfile|readarray|coproc)\b": "mapfile/readarray/coproc",
    r"\$\{[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)\}": "case modification ${x,,} ${x^^}",
    r"\$\{[A-Za-z_][A-Za-z0-9_]*@[QEPAaKkUuL]\}": "parameter transformation ${x@Q}",
    r"\|&|&>>|;;&|;&": "|&, &>>, ;;& or ;&",
    r"\{[A-Za-z_][A-Za-z0-9_]*\}[<>]": "automatic file descriptors {fd}>",
    r"\bwait\s+-n\b|\[\[\s+-v\b": "wait -n / [[ -v",
    r"\$EPOCH(SECONDS|REALTIME)|printf\s+'%\(": "EPOCHSECONDS / printf %(...)T",
    r"\[-\d+\]": "negative array subscripts",
}
ARRAY_EXPANSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}")


def script_lines() -> list[str]:
    """The script's lines without comments (whole-line and trailing)."""
    lines = []
    for line in SCRIPT.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        lines.append(re.sub(r"\s#\s.*$", "", line))
    return lines


def arrays_that_start_empty(lines: list[str]) -> set[str]:
    return {m.group(1) for line in lines for m in re.finditer(r"\b([A-Z_][A-Z0-9_]*)=\(\)", line)}


def test_shellcheck_is_clean() -> None:
    result = subprocess.run(
        [str(SHELLCHECK), "--severity=style", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_bash4_syntax() -> None:
    found = [
        f"{what}: {line.strip()}"
        for line in script_lines()
        for pattern, what in BASH4_SYNTAX.items()
        if re.search(pattern, line)
    ]
    assert found == []


def test_arrays_that_may_be_empty_are_expanded_guarded() -> None:
    # bash < 4.4 with set -u: "${A[@]}" of an empty array is "unbound variable".
    lines = script_lines()
    may_be_empty = arrays_that_start_empty(lines)
    assert {"EXTRA_CONTEXT", "CDK_FLAGS", "WARNINGS"} <= may_be_empty
    unguarded = []
    for line in lines:
        for match in ARRAY_EXPANSION.finditer(line):
            name = match.group(1)
            guard = "${" + name + "[@]+"
            if name in may_be_empty and guard not in line[: match.start()]:
                unguarded.append(line.strip())
    assert unguarded == []


# --- running it -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One run: exit code, output, the printed commands, and what the tripwires recorded."""

    returncode: int
    stdout: str
    stderr: str
    calls: list[str]
    root: Path

    @property
    def commands(self) -> list[str]:
        return [line[2:] for line in self.stdout.splitlines() if line.startswith("+ ")]

    def index(self, fragment: str, start: int = 0) -> int:
        """Position of the first printed command containing fragment, at or after start."""
        for i, command in enumerate(self.commands):
            if i >= start and fragment in command:
                return i
        raise AssertionError(
            f"{fragment!r} not printed after #{start}:\n" + "\n".join(self.commands)
        )


def tripwire_path(bin_dir: Path, calls: Path, tools: tuple[str, ...]) -> str:
    """PATH whose aws/docker/... only record that they were called, and fail; the rest is real."""
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        shim = bin_dir / tool
        shim.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\nexit 1\n')
        shim.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def deploy(
    tmp_path: Path,
    *args: str,
    script: Path | None = None,
    region: str | None = "eu-central-1",
    tools: tuple[str, ...] = TOOLS_THAT_REACH_OUT,
) -> Result:
    """Run the script from a tree linked to this checkout (its .cache/deploy stays in tmp_path)."""
    script = script or script_copy(tmp_path)
    calls = tmp_path / "calls.log"
    env = {
        "PATH": tripwire_path(tmp_path / "bin", calls, tools),
        "HOME": str(tmp_path),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "AWS_EC2_METADATA_DISABLED": "true",
        "npm_config_update_notifier": "false",
    }
    if region is not None:
        env["AWS_REGION"] = region
    result = subprocess.run(
        ["bash", str(script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    recorded = calls.read_text().splitlines() if calls.exists() else []
    return Result(result.returncode, result.stdout, result.stderr, recorded, script.parent.parent)


def script_copy(tmp_path: Path, text: str | None = None) -> Path:
    """The script in a tree that links to this checkout's code, venv and node_modules."""
    root = tmp_path / "tree"
    (root / "scripts").mkdir(parents=True)
    for name in ("infra", "service", "models", "nginx", "docs", "cdk.json", "package.json"):
        (root / name).symlink_to(REPO / name)
    (root / "toolchain").symlink_to(REPO / "toolchain")  # scripts/check_node.py's Node check
    (root / "scripts" / "check_node.py").symlink_to(REPO / "scripts" / "check_node.py")
    for name in (".venv", "node_modules"):
        (root / name).symlink_to(REPO / name)
    script = root / "scripts" / "deploy.sh"
    script.write_text(SCRIPT.read_text() if text is None else text)
    return script


def emulated_bash32_copy(tmp_path: Path) -> Path:
    """The script with bash 3.2's set -u rule for arrays: an empty ${A[@]} is unbound."""
    text = ARRAY_EXPANSION.sub(
        r"${\g<1>[@]?unbound variable (bash 3.2 set -u)}", SCRIPT.read_text()
    )
    return script_copy(tmp_path, text)


@pytest.mark.slow
def test_dry_run_synthesizes_then_prints_every_step_in_order_and_calls_nothing(
    tmp_path: Path,
) -> None:
    # Under bash 3.2's set -u rule, with every optional array empty: no -c, no --yes, no posture
    # warning (EXTRA_CONTEXT, CDK_FLAGS and WARNINGS).
    script = emulated_bash32_copy(tmp_path)
    assert "[@]?unbound" in script.read_text()
    result = deploy(
        tmp_path,
        "--dry-run",
        *MODEL_ARGS,
        *DOMAIN_ARGS,
        "--alarm-email",
        "oncall@example.com",
        "--image-tag",
        "git-abc123",
        script=script,
    )
    assert "unbound variable" not in result.stderr
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.calls == []
    assert "WARNING" not in result.stdout
    position = 0
    for fragment in (
        "npx --no-install cdk synth --quiet --no-notices -o .cache/deploy/cdk.out",
        "aws sts get-caller-identity",
        "npx --no-install cdk bootstrap --app .cache/deploy/cdk.out aws://<account-id>/eu-central-1",
        "aws cloudformation describe-stacks --stack-name facesim-production-service",
        "npx --no-install cdk deploy --app .cache/deploy/cdk.out FacesimStorage",
        "aws ecr get-login-password --region eu-central-1 | docker login",
        "aws ecr describe-images --repository-name '<AppRepositoryUri",
        "docker build --platform linux/amd64 --pull --provenance=false -t '<AppRepositoryUri",
        "docker push '<AppRepositoryUri",
        "aws ecr describe-images --repository-name '<NginxRepositoryUri",
        "docker build --platform linux/amd64 --pull --provenance=false -t '<NginxRepositoryUri",
        "docker push '<NginxRepositoryUri",
        "-m infra.publish --model models/facesim-resnet-2.0.0.h5 --bucket",
        "npx --no-install cdk deploy --app .cache/deploy/cdk.out FacesimService",
        "aws secretsmanager get-secret-value --secret-id '<ApiKeySecretArn",
        "scripts/smoke.py --url '<EndpointUrl output of facesim-production-service>' --api-keys on"
        " --docs off --kind face-similarity --expect-model 'facesim-resnet 2.0.0'",
    ):
        position = result.index(fragment, position) + 1
    builds = [c for c in result.commands if c.startswith("docker build")]
    assert [b.split()[-1] for b in builds] == [".", "nginx"]  # Dockerfile and nginx/Dockerfile
    # The pushes are shown as what they are: conditional on the tag not being in ECR yet.
    assert result.stdout.count("# only if that finds no image") == 2
    synth = result.commands[0]
    for context in (
        "region=eu-central-1",
        "imageTag=git-abc123",
        "modelName=facesim-resnet",
        "modelVersion=2.0.0",
        "modelKind=face-similarity",
        "domainName=api.example.com",
        "alarmEmail=oncall@example.com",
    ):
        assert f"-c {context}" in synth, (context, synth)
    # It really synthesized: the assembly it would deploy is there, with its plan.
    plan = json.loads((result.root / ".cache/deploy/cdk.out/deploy-plan.json").read_text())
    assert plan["image_tag"] == "git-abc123" and plan["region"] == "eu-central-1"
    assert "endpoint URL" in result.stdout
    # The rollback it would print names what runs now, image and model (the stack's outputs).
    smoke = result.commands[result.index("scripts/smoke.py")]
    assert "--image-tag <ImageTag> --model models/<ModelName>-<ModelVersion>.h5" in smoke


@pytest.mark.slow
def test_what_is_pushed_and_published_is_what_the_stack_reads(tmp_path: Path) -> None:
    # -c overrides of the keys the stack reads used to be ignored by the pushes and the publish.
    result = deploy(
        tmp_path,
        "--dry-run",
        *MODEL_ARGS,
        "--insecure-http",
        "--no-api-keys",
        "--docs",
        "on",
        "--skip-bootstrap",
        "--non-interactive",
        "-c",
        "region=us-west-2",
        "-c",
        "imageTag=v9",
        "-c",
        "modelPrefix=models",
        "-c",
        "stage=staging",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.calls == []
    publish = result.commands[result.index("-m infra.publish")]
    assert publish.endswith("--key models/facesim-resnet/2.0.0/facesim-resnet-2.0.0.h5")
    assert "--region us-west-2" in result.commands[result.index("aws ecr get-login-password")]
    assert [c.split()[-2].rsplit(":", 1)[-1] for c in result.commands if "docker build" in c] == [
        "v9'",
        "v9'",
    ]
    template = json.loads(
        (result.root / ".cache/deploy/cdk.out/FacesimService.template.json").read_text()
    )
    assert "models/facesim-resnet/2.0.0/facesim-resnet-2.0.0.h5" in json.dumps(template)
    assert "/facesim-staging/app:v9" in json.dumps(template)
    assert "facesim-staging-service" in result.stdout
    # CI mode: no bootstrap, no questions, plain progress.
    assert not [c for c in result.commands if "cdk bootstrap" in c]
    deploy_line = result.commands[result.index("cdk deploy --app")]
    assert "--require-approval never --ci --progress events" in deploy_line
    assert "--api-keys off --docs on" in result.commands[result.index("scripts/smoke.py")]
    # What this deployment turned off is said before anything reaches AWS.
    before_aws = result.stdout.split("+ aws sts get-caller-identity")[0]
    for said in ("INSECURE HTTP", "API KEYS OFF", "NO ALARM E-MAIL"):
        assert f"WARNING: {said}" in before_aws


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--bogus"], "unknown argument"),
        (["--domain", "api.example.com"], "needs --hosted-zone-id"),
        (["--hosted-zone-id", "Z1"], "need --domain"),
        (MODEL_ARGS, "HTTPS needs domainName"),  # from the synth: the config is the one judge
        ([*DOMAIN_ARGS, "--insecure-http"], "contradict"),
        (["--insecure-http", "--docs", "maybe"], "--docs takes on or off"),
        (["--insecure-http", "--model", "models/none.h5"], "cannot read the model"),
    ],
)
def test_bad_arguments_stop_before_anything_runs(
    tmp_path: Path, args: list[str], complaint: str
) -> None:
    result = deploy(tmp_path, "--dry-run", *args)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert result.calls == []


def test_no_region_is_an_error_not_a_silent_default(tmp_path: Path) -> None:
    # The dry run used to show us-east-1 where the real run would have used the CLI's region.
    result = deploy(tmp_path, "--dry-run", "--insecure-http", region=None, tools=("docker",))
    assert result.returncode == 2
    assert "no region" in result.stderr


def test_a_real_run_refuses_without_the_tools(tmp_path: Path) -> None:
    bare = tmp_path / "bare-bin"  # only what the script needs before it checks its tools
    bare.mkdir()
    for tool in ("dirname", "basename"):
        found = shutil.which(tool)
        assert found is not None
        (bare / tool).symlink_to(found)
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT), "--insecure-http"],
        cwd=REPO,
        env={"PATH": str(bare), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "is required" in result.stderr


@pytest.mark.slow
def test_with_a_certificate_the_smoke_test_goes_through_the_load_balancer(tmp_path: Path) -> None:
    # DNS is the user's job in this mode: the first deploy's smoke test must not need it.
    result = deploy(
        tmp_path,
        "--dry-run",
        *MODEL_ARGS,
        "--domain",
        "api.example.com",
        "--certificate-arn",
        "arn:aws:acm:eu-central-1:123456789012:certificate/abc",
        "--non-interactive",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    smoke = result.commands[result.index("scripts/smoke.py")]
    assert "--connect-host '<LoadBalancerDnsName output of facesim-production-service>'" in smoke
    assert "# DNS to create, if not done yet: " in result.stdout
    assert "CNAME (or Route 53 alias A) -> <LoadBalancerDnsName" in result.stdout


def test_a_misspelled_context_key_stops_the_deploy_with_the_nearest_one(tmp_path: Path) -> None:
    result = deploy(tmp_path, "--dry-run", *MODEL_ARGS, "--insecure-http", "-c", "imagetag=v1")
    assert result.returncode != 0
    assert "imagetag: not a context key of this app (did you mean imageTag?)" in (
        result.stdout + result.stderr
    )
    assert not [c for c in result.commands if "cdk deploy" in c]
