"""infra/deploy_plan.py: what deploy.sh pushes and publishes comes from the synthesized config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infra.config import read_context
from infra.deploy_plan import (
    PLAN_FILE,
    PlanError,
    check_model,
    deploy_plan,
    main,
    model_context,
    read_plan,
    shell_lines,
)
from service.checksums import sha256_of
from service.config import REPO_ROOT
from tests.infra.conftest import ROUTE53_CONTEXT, Synth

# A committed model (the bundled default may be another, not yet in this checkout).
MODEL = REPO_ROOT / "models" / "facesim-resnet-2.0.0.h5"


def plan_for(model: Path) -> dict[str, object]:
    """The plan of the documented deployment serving this model (what deploy.sh passes)."""
    context = {**ROUTE53_CONTEXT, **model_context(model)}
    return deploy_plan(read_context(context.get))


def test_the_assembly_carries_the_plan_of_its_own_config(options_synth: Synth) -> None:
    plan = read_plan(options_synth.outdir)
    config = options_synth.config
    assert plan["stage"] == "staging"
    assert plan["region"] == config.region == "eu-west-1"
    assert plan["image_tag"] == config.image_tag
    name = config.model_name
    assert plan["model_key"] == config.model_object_key == f"models/{name}/2.1.0/{name}-2.1.0.h5"
    assert plan["model_prefix"] == "models"
    assert plan["storage_stack_name"] == options_synth.storage.stack_name
    assert plan["service_stack_name"] == options_synth.service.stack_name
    # The task definition names the same key and tag the plan hands to deploy.sh.
    task = options_synth.only("AWS::ECS::TaskDefinition")["Properties"]
    (app,) = [c for c in task["ContainerDefinitions"] if c["Name"] == "app"]
    environment = {e["Name"]: e["Value"] for e in app["Environment"]}
    assert json.dumps(environment["MODEL_URI"]).find(plan["model_key"]) > 0
    assert str(app["Image"]).find(f":{plan['image_tag']}") > 0


def test_the_plan_lists_what_the_deployment_turned_off(endpoints_synth: Synth) -> None:
    warnings = " ".join(read_plan(endpoints_synth.outdir)["warnings"])
    assert "API KEYS OFF" in warnings and "DOCS ON IN PRODUCTION" in warnings


def test_model_context_pins_the_file_by_name_version_and_sha256() -> None:
    context = model_context(MODEL)
    manifest = json.loads(MODEL.with_suffix(".json").read_text())
    assert context == {
        "modelName": manifest["name"],
        "modelVersion": manifest["version"],
        "modelKind": manifest.get("kind", "face-similarity"),
        "modelSha256": sha256_of(MODEL),
    }


def test_a_model_other_than_the_planned_one_is_refused(tmp_path: Path) -> None:
    plan = plan_for(MODEL)
    check_model(plan, MODEL)
    with pytest.raises(PlanError, match=r"the stack would serve 9\.9\.9"):
        check_model({**plan, "model_version": "9.9.9"}, MODEL)
    with pytest.raises(PlanError, match="is not the sha256"):
        check_model({**plan, "model_sha256": "0" * 64}, MODEL)
    tampered = tmp_path / MODEL.name
    shutil.copy(MODEL.with_suffix(".json"), tampered.with_suffix(".json"))
    tampered.write_bytes(b"not the model")
    with pytest.raises(PlanError, match="does not match its manifest"):
        check_model(plan, tampered)


def test_shell_lines_are_plain_key_value_pairs(route53_synth: Synth) -> None:
    lines = shell_lines(read_plan(route53_synth.outdir), MODEL)
    keys = [line.split("=", 1)[0] for line in lines]
    assert {"REGION", "IMAGE_TAG", "MODEL_KEY", "MODEL_PREFIX", "SERVICE_STACK_NAME"} <= set(keys)
    assert "WARNING" in keys  # no alarm e-mail in this context
    with pytest.raises(PlanError, match="unusual value"):
        shell_lines({**read_plan(route53_synth.outdir), "image_tag": "x$(reboot)"}, MODEL)


def test_cli_exits_2_with_one_line_when_the_assembly_is_not_ours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--assembly", str(tmp_path), "--model", str(MODEL)]) == 2
    assert f"{PLAN_FILE} is missing" in capsys.readouterr().err


def test_a_tabular_models_context_names_its_kind_for_the_container() -> None:
    census = REPO_ROOT / "models" / "census-income-1.0.0.h5"
    context = model_context(census)
    assert context["modelKind"] == "tabular-classification"
    assert context["modelName"] == "census-income" and context["modelVersion"] == "1.0.0"
