"""compose.yaml holds the synthesized Fargate task's shape, container by container (so they cannot drift).

Compared: which containers, which Dockerfile builds each image, settings (names, and values the
template holds literally), secrets, read-only roots and their writable volumes, health checks,
ulimits, start order, stop timeouts, the shared network namespace and its published ports.
Not compared: the task's total CPU and memory (compose limits containers, not a task).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from service.paths import REPO_ROOT as REPO
from tests.infra.conftest import DEFAULT_CONTEXT, synthesize
from tests.rehearse.conftest import compose_config
from tests.rehearse.task_shape import ContainerShape, from_compose, from_task

pytestmark = [pytest.mark.infra]

CONTAINERS = ["app", "nginx"]
# The build context of each ECR repository's image, as scripts/deploy.sh's push_image builds them.
IMAGE_CONTEXTS = {"app": REPO, "nginx": REPO / "nginx"}
# Services that stand in for AWS (compose.yaml says what each replaces).
STAND_INS = {"task", "s3", "model-publish"}
# Settings whose local value differs on purpose (compose.yaml says why at each).
LOCAL_VALUES = {"MODEL_URI", "PUBLIC_HTTPS_PORT", "REAL_IP_FROM"}


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Mapping[str, Any]]:
    """The default app's task definition: its container definitions by name."""
    synth = synthesize(DEFAULT_CONTEXT, tmp_path_factory.mktemp("cdk.out"))
    (definition,) = synth.service_resources("AWS::ECS::TaskDefinition").values()
    return {c["Name"]: c for c in definition["Properties"]["ContainerDefinitions"]}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """compose.yaml with every variable at its default."""
    return compose_config()


def shapes(
    task: Mapping[str, Any], compose: dict[str, Any], name: str
) -> tuple[ContainerShape, ContainerShape]:
    """(from the task, from compose) for one container."""
    return from_task(task[name]), from_compose(compose["services"][name], within=frozenset(task))


def test_compose_runs_the_tasks_containers_and_the_aws_stand_ins(
    task: Mapping[str, Any], compose: dict[str, Any]
) -> None:
    assert set(compose["services"]) == set(task) | STAND_INS


@pytest.mark.parametrize("name", CONTAINERS)
def test_each_image_is_built_from_its_repositorys_dockerfile(
    task: Mapping[str, Any], compose: dict[str, Any], name: str
) -> None:
    image = task[name]["Image"]["Fn::Join"][1][-1]  # ".../<stage>/<repository>:<tag>"
    repository = image.rsplit("/", 1)[-1].split(":")[0]
    assert Path(compose["services"][name]["build"]["context"]) == IMAGE_CONTEXTS[repository]


@pytest.mark.parametrize("name", CONTAINERS)
def test_settings_are_the_tasks(
    task: Mapping[str, Any], compose: dict[str, Any], name: str
) -> None:
    ours, theirs = shapes(task, compose, name)
    local_aws = set(compose["x-local-aws"]) if name == "app" else set()
    assert set(theirs.environment) - local_aws == set(ours.environment)
    differing = {
        k for k, v in ours.environment.items() if v is not None and theirs.environment[k] != v
    }
    assert differing <= LOCAL_VALUES, {
        k: (ours.environment[k], theirs.environment[k]) for k in differing
    }


@pytest.mark.parametrize("name", CONTAINERS)
def test_secrets_are_the_tasks(task: Mapping[str, Any], compose: dict[str, Any], name: str) -> None:
    ours, theirs = shapes(task, compose, name)
    assert theirs.secrets == ours.secrets


@pytest.mark.parametrize("name", CONTAINERS)
def test_read_only_roots_write_only_to_the_tasks_volumes(
    task: Mapping[str, Any], compose: dict[str, Any], name: str
) -> None:
    ours, theirs = shapes(task, compose, name)
    assert (theirs.read_only_root, dict(theirs.mounts)) == (ours.read_only_root, dict(ours.mounts))
    assert ours.read_only_root


@pytest.mark.parametrize("name", CONTAINERS)
def test_health_checks_are_the_tasks(
    task: Mapping[str, Any], compose: dict[str, Any], name: str
) -> None:
    ours, theirs = shapes(task, compose, name)
    assert theirs.health == ours.health


@pytest.mark.parametrize("name", CONTAINERS)
def test_ulimits_are_fargates(task: Mapping[str, Any], compose: dict[str, Any], name: str) -> None:
    ours, theirs = shapes(task, compose, name)
    assert dict(theirs.ulimits) == dict(ours.ulimits)


@pytest.mark.parametrize("name", CONTAINERS)
def test_start_order_and_stop_timeout_are_the_tasks(
    task: Mapping[str, Any], compose: dict[str, Any], name: str
) -> None:
    ours, theirs = shapes(task, compose, name)
    assert (dict(theirs.depends_on), theirs.stop_timeout_s) == (
        dict(ours.depends_on),
        ours.stop_timeout_s,
    )


def test_containers_share_one_network_namespace_published_on_the_tasks_ports(
    task: Mapping[str, Any], compose: dict[str, Any]
) -> None:
    assert {compose["services"][name].get("network_mode") for name in task} == {"service:task"}
    published = {int(str(p).rsplit(":", 1)[-1]) for p in compose["services"]["task"]["ports"]}
    mapped = {m["ContainerPort"] for c in task.values() for m in c.get("PortMappings", [])}
    assert published == mapped
