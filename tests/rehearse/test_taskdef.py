"""Reading the task definition from cdk.out: values resolved from the template, nothing hand-copied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.contract import (
    APP_PORT,
    CONTAINER_STOP_TIMEOUT_S,
    DEREGISTRATION_DELAY_S,
    NGINX_HTTPS_PORT,
    READINESS_PATH,
)
from rehearse.taskdef import TaskDefinitionError, read_task_definition
from tests.infra.conftest import DEFAULT_CONTEXT, OPTIONS_CONTEXT, synthesize


def write_assembly(tmp_path: Path, containers: list[dict[str, Any]], **task: Any) -> Path:
    """A minimal cdk.out: one stack with a task definition, a service and its target group."""
    template = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {"Cpu": "1024", "Memory": "3072", "NetworkMode": "awsvpc",
                               "ContainerDefinitions": containers, **task},
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {"TaskDefinition": {"Ref": "Task"}, "LoadBalancers": [
                    {"ContainerName": "web", "ContainerPort": 8443,
                     "TargetGroupArn": {"Ref": "Targets"}}]},
            },
            "Targets": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {"Protocol": "HTTPS", "HealthCheckPath": "/ready"},
            },
        }
    }  # fmt: skip
    (tmp_path / "S.template.json").write_text(json.dumps(template))
    manifest = {"artifacts": {"S": {"type": "aws:cloudformation:stack",
                                    "environment": "aws://unknown-account/eu-west-1",
                                    "properties": {"templateFile": "S.template.json"}}}}  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def container(name: str, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "Image": "x", **extra}


def test_values_are_resolved_from_the_template(tmp_path: Path) -> None:
    env = [
        {"Name": "REGION", "Value": {"Ref": "AWS::Region"}},
        {"Name": "CIDR", "Value": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}},
        {"Name": "MODEL_URI", "Value": {"Fn::Join": ["", [
            "s3://", {"Fn::ImportValue": "Storage-Bucket"}, "/m/2.0.0/m-2.0.0.h5"]]}},
    ]  # fmt: skip
    definition = read_task_definition(write_assembly(tmp_path, [container("web", Environment=env)]))
    web = definition.container("web")
    assert web.environment["REGION"] == "eu-west-1"
    assert web.environment["CIDR"] == "10.1.0.0/16"
    assert definition.model is not None
    assert (definition.model.container, definition.model.key) == ("web", "m/2.0.0/m-2.0.0.h5")
    assert (definition.cpu_units, definition.memory_mib) == (1024, 3072)
    assert definition.target.health_path == "/ready"
    assert definition.target.deregistration_delay_s == 300  # ELB's default when none is set


def test_a_value_only_aws_knows_is_refused_by_name(tmp_path: Path) -> None:
    env = [{"Name": "TABLE", "Value": {"Ref": "SomeTable"}}]
    with pytest.raises(TaskDefinitionError, match="TABLE"):
        read_task_definition(write_assembly(tmp_path, [container("web", Environment=env)]))


def test_read_only_root_volumes_and_dependencies_are_read(tmp_path: Path) -> None:
    web = container(
        "web",
        ReadonlyRootFilesystem=True,
        MountPoints=[{"SourceVolume": "run", "ContainerPath": "/tmp/web", "ReadOnly": False}],
        DependsOn=[{"ContainerName": "app", "Condition": "HEALTHY"}],
        HealthCheck={"Command": ["CMD-SHELL", "true"], "Interval": 10},
    )
    app = container("app", StopTimeout=90, User="1000:1000")
    definition = read_task_definition(
        write_assembly(tmp_path, [web, app], Volumes=[{"Name": "run"}])
    )
    assert [c.name for c in definition.start_order()] == ["app", "web"]
    spec = definition.container("web")
    assert spec.read_only_root
    assert [(m.volume, m.path) for m in spec.mount_points] == [("run", "/tmp/web")]
    assert spec.health_check is not None
    assert (spec.health_check.interval, spec.health_check.retries) == (10, 3)
    assert spec.stop_timeout == 30
    assert definition.container("app").stop_timeout == 90
    assert definition.container("app").user == "1000:1000"
    assert definition.volumes == ("run",)


def test_a_dependency_cycle_is_refused(tmp_path: Path) -> None:
    a = container("web", DependsOn=[{"ContainerName": "app", "Condition": "START"}])
    b = container("app", DependsOn=[{"ContainerName": "web", "Condition": "START"}])
    with pytest.raises(TaskDefinitionError, match="cycle"):
        read_task_definition(write_assembly(tmp_path, [a, b])).start_order()


def test_the_synthesized_app_reads_as_the_contract_says(tmp_path: Path) -> None:
    definition = read_task_definition(synthesize(DEFAULT_CONTEXT, tmp_path).outdir)
    assert [c.name for c in definition.start_order()] == ["app", "nginx"]
    assert definition.target.container == "nginx"
    assert definition.target.port == NGINX_HTTPS_PORT
    assert definition.target.health_path == READINESS_PATH
    assert definition.target.deregistration_delay_s == DEREGISTRATION_DELAY_S
    app = definition.container("app")
    assert app.environment["PORT"] == str(APP_PORT)
    assert app.stop_timeout == CONTAINER_STOP_TIMEOUT_S
    assert definition.model is not None and definition.model.key.endswith(".h5")


def test_secrets_are_named_not_resolved(tmp_path: Path) -> None:
    definition = read_task_definition(synthesize(OPTIONS_CONTEXT, tmp_path).outdir)
    assert definition.container("app").secrets == ("API_KEYS",)
    assert definition.region == OPTIONS_CONTEXT["region"]
