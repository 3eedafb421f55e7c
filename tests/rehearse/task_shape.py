"""A container's shape, read from the synthesized ECS task definition or from compose.yaml alike.

The shape is what makes the local stack the production task: settings (names, and values where
the template holds them literally), secrets, read-only root, writable mounts, health check,
ulimits, dependencies and stop timeout. tests/rehearse/test_compose_matches_task.py compares the
two readings container by container.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rehearse.compose import seconds

# ECS's defaults where a container definition says nothing (Fargate: stop timeout 30 s, and
# the open-files limit it sets on every container: soft 1024, hard 65535).
ECS_STOP_TIMEOUT_S = 30
FARGATE_ULIMITS = {"nofile": (1024, 65535)}
# ECS dependency conditions and the compose conditions that mean the same.
CONDITIONS = {
    "START": "service_started",
    "HEALTHY": "service_healthy",
    "COMPLETE": "service_completed_successfully",
    "SUCCESS": "service_completed_successfully",
}


@dataclass(frozen=True)
class HealthCheck:
    """A container health check: the command (Docker's CMD form) and its timings in seconds."""

    command: tuple[str, ...]
    interval_s: int
    timeout_s: int
    retries: int
    start_period_s: int


@dataclass(frozen=True)
class ContainerShape:
    """What the task and compose must agree on for one container."""

    # None for a value only AWS knows (a reference to another resource).
    environment: Mapping[str, str | None]
    secrets: frozenset[str]
    read_only_root: bool
    mounts: Mapping[str, str]  # container path -> volume name
    health: HealthCheck | None
    ulimits: Mapping[str, tuple[int, int]]
    depends_on: Mapping[str, str]  # container -> compose condition
    stop_timeout_s: int


def from_task(definition: Mapping[str, Any]) -> ContainerShape:
    """One ContainerDefinitions entry of an AWS::ECS::TaskDefinition."""
    check = definition.get("HealthCheck")
    # ECS's health-check defaults: interval 30 s, timeout 5 s, retries 3, start period 0.
    health = check and HealthCheck(
        tuple(check["Command"]),
        int(check.get("Interval", 30)),
        int(check.get("Timeout", 5)),
        int(check.get("Retries", 3)),
        int(check.get("StartPeriod", 0)),
    )
    limits = {
        u["Name"]: (int(u["SoftLimit"]), int(u["HardLimit"])) for u in definition.get("Ulimits", [])
    }
    return ContainerShape(
        environment={
            e["Name"]: e["Value"] if isinstance(e["Value"], str) else None
            for e in definition.get("Environment", [])
        },
        secrets=frozenset(s["Name"] for s in definition.get("Secrets", [])),
        read_only_root=bool(definition.get("ReadonlyRootFilesystem", False)),
        mounts={m["ContainerPath"]: m["SourceVolume"] for m in definition.get("MountPoints", [])},
        health=health or None,
        ulimits={**FARGATE_ULIMITS, **limits},
        depends_on={
            d["ContainerName"]: CONDITIONS[d["Condition"]] for d in definition.get("DependsOn", [])
        },
        stop_timeout_s=int(definition.get("StopTimeout", ECS_STOP_TIMEOUT_S)),
    )


def from_compose(service: Mapping[str, Any], *, within: frozenset[str]) -> ContainerShape:
    """One service of `podman-compose config`'s output; dependencies only on services in `within`."""
    check = service.get("healthcheck")
    health = check and HealthCheck(
        tuple(check["test"]),
        seconds(check.get("interval", "30s")),
        seconds(check.get("timeout", "30s")),
        int(check.get("retries", 3)),
        seconds(check.get("start_period", "0s")),
    )
    mounts = {}
    for volume in service.get("volumes", []):
        source, path = str(volume).split(":")[:2]
        mounts[path] = source
    return ContainerShape(
        environment={k: str(v) for k, v in service.get("environment", {}).items()},
        secrets=frozenset(str(s["target"]).upper() for s in service.get("secrets", [])),
        read_only_root=bool(service.get("read_only", False)),
        mounts=mounts,
        health=health or None,
        ulimits={
            k: (int(v["soft"]), int(v["hard"])) for k, v in service.get("ulimits", {}).items()
        },
        depends_on={
            k: v["condition"] for k, v in service.get("depends_on", {}).items() if k in within
        },
        stop_timeout_s=seconds(service.get("stop_grace_period", "10s")),
    )
