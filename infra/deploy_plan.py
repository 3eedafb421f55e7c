"""The deploy plan: what scripts/deploy.sh must push, publish and deploy, read from the synthesis.

`infra/app.py` writes deploy-plan.json into the cloud assembly it synthesizes, from the same
DeployConfig the stacks are built from. deploy.sh synthesizes once, reads the plan through this
module and deploys that very assembly (`cdk deploy --app <assembly>`), so the region, the image
tag and the model key it pushes and publishes are the ones the task definition names, by
construction. Subcommands (all offline):

  python -m infra.deploy_plan default-model            the bundled model's path
  python -m infra.deploy_plan context --model PATH     modelName/Version/Kind/Sha256 lines
  python -m infra.deploy_plan plan --assembly DIR --model PATH   KEY=value lines for deploy.sh
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Final

from infra.config import DEFAULT_MODEL_KIND, DeployConfig
from infra.names import SERVICE_STACK_ID, STORAGE_STACK_ID
from infra.posture import posture_warnings
from service.checksums import sha256_of
from service.config import DEFAULT_MODEL, REPO_ROOT

PLAN_FILE: Final = "deploy-plan.json"
# deploy.sh reads `KEY=value` lines with `read -r` and never evaluates them; still, no value may
# carry a line break, a control character, `$` or a backquote.
_SHELL_SAFE = re.compile(r"[^\x00-\x1f\x7f$`]*")


class PlanError(ValueError):
    """The plan and what deploy.sh is about to publish disagree; the message says how."""


def deploy_plan(config: DeployConfig) -> dict[str, Any]:
    """Everything deploy.sh needs to know about this synthesis, in one JSON-able dict."""
    names = config.names
    return {
        "stage": config.stage,
        "region": config.region,
        "storage_stack_id": STORAGE_STACK_ID,
        "storage_stack_name": names.storage_stack,
        "service_stack_id": SERVICE_STACK_ID,
        "service_stack_name": names.service_stack,
        "image_tag": config.image_tag,
        "model_name": config.model_name,
        "model_version": config.model_version,
        "model_kind": config.model_kind,
        "model_prefix": config.model_read_prefix,
        "model_key": config.model_object_key,
        "model_manifest_key": config.model_manifest_key,
        "model_sha256": config.model_sha256 or "",
        "ingress_mode": str(config.ingress_mode),
        "api_keys": config.api_keys,
        "docs": config.docs_enabled,
        "warnings": posture_warnings(config),
    }


def write_plan(config: DeployConfig, assembly: Path) -> Path:
    """Write deploy-plan.json into the cloud assembly directory."""
    path = assembly / PLAN_FILE
    path.write_text(json.dumps(deploy_plan(config), indent=2) + "\n", encoding="utf-8")
    return path


def read_plan(assembly: Path) -> dict[str, Any]:
    """The plan of a synthesized assembly."""
    path = assembly / PLAN_FILE
    if not path.is_file():
        raise PlanError(f"{path} is missing: was {assembly} synthesized by this app?")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def model_context(model: Path) -> dict[str, str]:
    """The context keys that make the stack serve exactly this file: name, version, kind, sha256.

    A manifest without `kind` is a face-similarity model (every manifest published before kinds).
    """
    manifest = _manifest(model)
    return {
        "modelName": str(manifest["name"]),
        "modelVersion": str(manifest["version"]),
        "modelKind": str(manifest.get("kind", DEFAULT_MODEL_KIND)),
        "modelSha256": sha256_of(model),
    }


def check_model(plan: dict[str, Any], model: Path) -> None:
    """The file deploy.sh publishes must be the model the plan's task definition serves."""
    manifest = _manifest(model)
    actual = sha256_of(model)
    if actual != manifest["sha256"]:
        raise PlanError(f"{model} sha256 {actual} does not match its manifest")
    manifest.setdefault("kind", DEFAULT_MODEL_KIND)
    for field, key in (
        ("name", "model_name"),
        ("version", "model_version"),
        ("kind", "model_kind"),
    ):
        if str(manifest[field]) != plan[key]:
            raise PlanError(
                f"{model} is {field} {manifest[field]}, but the stack would serve "
                f"{plan[key]} (drop the -c override or pass the matching --model)"
            )
    if plan["model_sha256"] and plan["model_sha256"] != actual:
        raise PlanError(f"modelSha256 {plan['model_sha256']} is not the sha256 of {model}")


def shell_lines(plan: dict[str, Any], model: Path) -> list[str]:
    """KEY=value lines deploy.sh reads with `IFS== read -r key value` (no eval)."""
    values = {
        "STAGE": plan["stage"],
        "REGION": plan["region"],
        "STORAGE_STACK_ID": plan["storage_stack_id"],
        "STORAGE_STACK_NAME": plan["storage_stack_name"],
        "SERVICE_STACK_ID": plan["service_stack_id"],
        "SERVICE_STACK_NAME": plan["service_stack_name"],
        "IMAGE_TAG": plan["image_tag"],
        "MODEL_PATH": str(model),
        "MODEL_PREFIX": plan["model_prefix"],
        "MODEL_KEY": plan["model_key"],
        "MODEL_LABEL": f"{plan['model_name']} {plan['model_version']}",
        "MODEL_KIND": plan["model_kind"],
        "INGRESS_MODE": plan["ingress_mode"],
        "API_KEYS": "on" if plan["api_keys"] else "off",
        "DOCS": "on" if plan["docs"] else "off",
    }
    lines = [f"{key}={value}" for key, value in values.items()]
    lines += [f"WARNING={warning}" for warning in plan["warnings"]]
    for line in lines:
        if "\n" in line or not _SHELL_SAFE.fullmatch(line):
            raise PlanError(f"refusing to hand deploy.sh an unusual value: {line!r}")
    return lines


def _manifest(model: Path) -> dict[str, Any]:
    manifest = model.with_suffix(".json")
    if not model.is_file() or not manifest.is_file():
        raise PlanError(f"{model} and its manifest {manifest} must exist")
    return dict(json.loads(manifest.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    """Print what deploy.sh asked for; exit 2 with one line on stderr when it cannot."""
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_plan")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("default-model")
    context = commands.add_parser("context")
    context.add_argument("--model", type=Path, required=True)
    planned = commands.add_parser("plan")
    planned.add_argument("--assembly", type=Path, required=True)
    planned.add_argument("--model", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "default-model":
            lines = [DEFAULT_MODEL.relative_to(REPO_ROOT).as_posix()]  # deploy.sh runs there
        elif args.command == "context":
            lines = [f"{key}={value}" for key, value in model_context(args.model).items()]
        else:
            plan = read_plan(args.assembly)
            check_model(plan, args.model)
            lines = shell_lines(plan, args.model)
    except (PlanError, OSError, KeyError, ValueError) as exc:
        print(f"deploy plan: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
