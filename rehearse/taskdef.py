"""The Fargate task definition as synthesized into cdk.out/, read into plain typed values.

Everything the rehearsal runs comes from here (environment, secrets, ports, user, health checks,
dependencies, stop timeouts, read-only root filesystem, volumes, task size), so a change to infra/
is rehearsed without touching rehearse/. CloudFormation values are resolved where the template
itself holds the answer (pseudo parameters, a resource's literal property, Join/Select/Split);
the model bucket, which only exists in AWS, is the one token mapped onto the local S3 server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# ECS's stopTimeout when a container definition sets none (Fargate: 30 s; at most 120 s).
DEFAULT_STOP_TIMEOUT_S = 30
# A CloudFormation token the template cannot answer; kept in the rendered string, then replaced.
TOKEN = "\x00"


class TaskDefinitionError(ValueError):
    """cdk.out holds no single task definition, or a value the rehearsal cannot resolve."""


@dataclass(frozen=True)
class HealthCheck:
    """An ECS container health check (seconds)."""

    command: tuple[str, ...]
    interval: int
    timeout: int
    retries: int
    start_period: int


@dataclass(frozen=True)
class MountPoint:
    """A task volume mounted into a container: on Fargate, a writable path under a read-only root."""

    volume: str
    path: str
    read_only: bool


@dataclass(frozen=True)
class ContainerSpec:
    """One container definition, its values resolved."""

    name: str
    essential: bool
    environment: Mapping[str, str]
    secrets: tuple[str, ...]
    ports: tuple[int, ...]
    health_check: HealthCheck | None
    depends_on: tuple[tuple[str, str], ...]
    stop_timeout: int
    user: str | None
    read_only_root: bool
    mount_points: tuple[MountPoint, ...]
    ulimits: tuple[tuple[str, int, int], ...]
    entry_point: tuple[str, ...] | None
    command: tuple[str, ...] | None
    memory_mib: int | None
    memory_reservation_mib: int | None


@dataclass(frozen=True)
class ModelLocation:
    """MODEL_URI's bucket (an AWS-side token) and its literal key."""

    container: str
    variable: str
    key: str


@dataclass(frozen=True)
class Target:
    """What the load balancer reaches: a container's port, its health check, its draining time."""

    container: str
    port: int
    protocol: str
    health_path: str
    healthy_codes: str
    deregistration_delay_s: int


@dataclass(frozen=True)
class TaskDefinition:
    """The task: its size, containers, volumes, and where it was read from."""

    stack: str
    template: Path
    region: str
    cpu_units: int
    memory_mib: int
    network_mode: str
    containers: tuple[ContainerSpec, ...]
    volumes: tuple[str, ...]
    model: ModelLocation | None
    target: Target

    def container(self, name: str) -> ContainerSpec:
        """The container definition called `name`."""
        for spec in self.containers:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def start_order(self) -> list[ContainerSpec]:
        """Dependencies before dependents (ECS starts in this order and stops in reverse)."""
        ordered: list[ContainerSpec] = []
        placed: set[str] = set()
        pending = list(self.containers)
        while pending:
            ready = [c for c in pending if all(dep in placed for dep, _ in c.depends_on)]
            if not ready:
                raise TaskDefinitionError(f"dependency cycle among {[c.name for c in pending]}")
            for spec in ready:
                ordered.append(spec)
                placed.add(spec.name)
                pending.remove(spec)
        return ordered


def read_task_definition(cdk_out: Path, stack: str | None = None) -> TaskDefinition:
    """The one ECS task definition in the synthesized app (or in `stack`)."""
    manifest_path = cdk_out / "manifest.json"
    if not manifest_path.exists():
        raise TaskDefinitionError(f"{manifest_path} not found: synthesize first (make synth)")
    manifest = json.loads(manifest_path.read_text())
    found: list[tuple[str, Path, str, str, dict[str, Any]]] = []
    for name, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack" or stack not in (None, name):
            continue
        template_path = cdk_out / artifact["properties"]["templateFile"]
        template = json.loads(template_path.read_text())
        region = str(artifact.get("environment", "")).rsplit("/", 1)[-1]
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") == "AWS::ECS::TaskDefinition":
                found.append((name, template_path, region, logical_id, template))
    if len(found) != 1:
        where = [f"{s}/{lid}" for s, _, _, lid, _ in found] or "none"
        raise TaskDefinitionError(f"expected one ECS task definition in {cdk_out}, found {where}")
    name, template_path, region, logical_id, template = found[0]
    if region in ("", "unknown-region"):
        raise TaskDefinitionError(f"{name} is region-agnostic; synthesize it with a region")
    resolve = Resolver(template, region)
    props = template["Resources"][logical_id]["Properties"]
    containers = tuple(_container(c, resolve) for c in props["ContainerDefinitions"])
    models = [
        ModelLocation(c.name, var, key)
        for c, raw in zip(containers, props["ContainerDefinitions"], strict=True)
        for var, key in _s3_keys(raw, resolve)
    ]
    if len(models) > 1:
        raise TaskDefinitionError(f"more than one s3:// setting: {models}")
    return TaskDefinition(
        stack=name,
        template=template_path,
        region=region,
        cpu_units=int(resolve.text(props["Cpu"])),
        memory_mib=int(resolve.text(props["Memory"])),
        network_mode=str(props.get("NetworkMode", "")),
        containers=containers,
        volumes=tuple(str(v["Name"]) for v in props.get("Volumes", [])),
        model=models[0] if models else None,
        target=_target(template, logical_id),
    )


def _target(template: Mapping[str, Any], task_id: str) -> Target:
    """The ECS service's load-balancer entry for this task definition and its target group."""
    resources = template["Resources"]
    entries = [
        entry
        for resource in resources.values()
        if resource.get("Type") == "AWS::ECS::Service"
        and resource["Properties"].get("TaskDefinition") == {"Ref": task_id}
        for entry in resource["Properties"].get("LoadBalancers", [])
    ]
    if len(entries) != 1:
        raise TaskDefinitionError(
            f"expected one load-balancer target of the service, got {entries}"
        )
    (entry,) = entries
    group = resources[entry["TargetGroupArn"]["Ref"]]["Properties"]
    attributes = {a["Key"]: a["Value"] for a in group.get("TargetGroupAttributes", [])}
    return Target(
        container=str(entry["ContainerName"]),
        port=int(entry["ContainerPort"]),
        protocol=str(group.get("HealthCheckProtocol") or group.get("Protocol", "HTTP")),
        health_path=str(group.get("HealthCheckPath", "/")),
        healthy_codes=str(group.get("Matcher", {}).get("HttpCode", "200")),
        # ELB's default deregistration delay is 300 s.
        deregistration_delay_s=int(attributes.get("deregistration_delay.timeout_seconds", 300)),
    )


class Resolver:
    """Renders CloudFormation values that the template itself determines."""

    def __init__(self, template: Mapping[str, Any], region: str) -> None:
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.pseudo = {
            "AWS::Region": region,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
        }

    def text(self, value: Any, *, token: Callable[[Any], str] | None = None) -> str:
        """The string a value renders to; `token` renders what only AWS knows (else an error)."""
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Fn::Join":
                sep, parts = arg
                return str(sep).join(self.text(p, token=token) for p in parts)
            if fn == "Fn::Select":
                index, items = arg
                return self._list(items, token)[int(self.text(index))]
            if fn == "Ref" and arg in self.pseudo:
                return self.pseudo[arg]
            if fn == "Fn::GetAtt":
                prop = self.resources.get(arg[0], {}).get("Properties", {}).get(arg[1])
                if isinstance(prop, str):
                    return prop
        if token is not None:
            return token(value)
        raise TaskDefinitionError(f"cannot resolve {json.dumps(value)} without AWS")

    def _list(self, value: Any, token: Callable[[Any], str] | None) -> list[str]:
        if isinstance(value, list):
            return [self.text(v, token=token) for v in value]
        if isinstance(value, dict) and "Fn::Split" in value:
            sep, source = value["Fn::Split"]
            return self.text(source, token=token).split(str(sep))
        raise TaskDefinitionError(f"cannot resolve the list {json.dumps(value)}")


def _s3_keys(raw: Mapping[str, Any], resolve: Resolver) -> list[tuple[str, str]]:
    """(variable, key) of each s3:// environment value whose bucket only AWS can name."""
    found = []
    for item in raw.get("Environment", []):
        rendered = resolve.text(item["Value"], token=lambda _v: TOKEN)
        if rendered.startswith("s3://"):
            bucket, _, key = rendered[len("s3://") :].partition("/")
            if TOKEN in key or not key:
                raise TaskDefinitionError(f"{item['Name']}: the object key must be literal")
            found.append((str(item["Name"]), key))
            del bucket  # whatever AWS names it, the rehearsal's bucket stands in
    return found


def _environment(raw: Mapping[str, Any], resolve: Resolver) -> dict[str, str]:
    env = {}
    for item in raw.get("Environment", []):
        name = str(item["Name"])
        rendered = resolve.text(item["Value"], token=lambda _v: TOKEN)
        if TOKEN in rendered and not rendered.startswith("s3://"):
            raise TaskDefinitionError(
                f"{raw['Name']}: {name} = {json.dumps(item['Value'])} is only known in AWS; "
                "teach rehearse/taskdef.py what stands in for it"
            )
        env[name] = rendered
    return env


def _container(raw: Mapping[str, Any], resolve: Resolver) -> ContainerSpec:
    check = raw.get("HealthCheck")
    health = None
    if check:
        # ECS defaults: interval 30 s, timeout 5 s, retries 3, start period 0.
        health = HealthCheck(
            command=tuple(str(c) for c in check["Command"]),
            interval=int(check.get("Interval", 30)),
            timeout=int(check.get("Timeout", 5)),
            retries=int(check.get("Retries", 3)),
            start_period=int(check.get("StartPeriod", 0)),
        )
    return ContainerSpec(
        name=str(raw["Name"]),
        essential=bool(raw.get("Essential", True)),
        environment=_environment(raw, resolve),
        secrets=tuple(str(s["Name"]) for s in raw.get("Secrets", [])),
        ports=tuple(int(p["ContainerPort"]) for p in raw.get("PortMappings", [])),
        health_check=health,
        depends_on=tuple(
            (str(d["ContainerName"]), str(d["Condition"])) for d in raw.get("DependsOn", [])
        ),
        stop_timeout=int(raw.get("StopTimeout", DEFAULT_STOP_TIMEOUT_S)),
        user=str(raw["User"]) if "User" in raw else None,
        read_only_root=bool(raw.get("ReadonlyRootFilesystem", False)),
        mount_points=tuple(
            MountPoint(str(m["SourceVolume"]), str(m["ContainerPath"]), bool(m.get("ReadOnly")))
            for m in raw.get("MountPoints", [])
        ),
        ulimits=tuple(
            (str(u["Name"]), int(u["SoftLimit"]), int(u["HardLimit"]))
            for u in raw.get("Ulimits", [])
        ),
        entry_point=tuple(raw["EntryPoint"]) if "EntryPoint" in raw else None,
        command=tuple(raw["Command"]) if "Command" in raw else None,
        memory_mib=int(raw["Memory"]) if "Memory" in raw else None,
        memory_reservation_mib=(
            int(raw["MemoryReservation"]) if "MemoryReservation" in raw else None
        ),
    )
