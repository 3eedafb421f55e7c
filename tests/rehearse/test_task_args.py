"""A container definition becomes exactly these podman settings (a recording engine, no podman)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from rehearse.engine import Engine
from rehearse.task import Task
from rehearse.taskdef import ContainerSpec, HealthCheck, MountPoint, Target, TaskDefinition


class RecordingEngine(Engine):
    """Records podman argument lists instead of running them."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        object.__setattr__(self, "calls", [])

    def podman(self, *args: str, **_: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))  # type: ignore[attr-defined]
        return subprocess.CompletedProcess(list(args), 0, "", "")


def spec(**overrides: object) -> ContainerSpec:
    values: dict[str, object] = {
        "name": "app", "essential": True, "environment": {"PORT": "8000"}, "secrets": (),
        "ports": (), "health_check": None, "depends_on": (), "stop_timeout": 30, "user": None,
        "read_only_root": False, "mount_points": (), "ulimits": (), "entry_point": None,
        "command": None, "memory_mib": None, "memory_reservation_mib": None,
    }  # fmt: skip
    values.update(overrides)
    return ContainerSpec(**values)  # type: ignore[arg-type]


def create_args(tmp_path: Path, container: ContainerSpec) -> list[str]:
    definition = TaskDefinition(
        stack="S", template=tmp_path, region="us-east-1", cpu_units=1024, memory_mib=2048,
        network_mode="awsvpc", containers=(container,), volumes=("cache",), model=None,
        target=Target("app", 8000, "HTTP", "/", "200", 30),
    )  # fmt: skip
    engine = RecordingEngine(tmp_path)
    task = Task(engine, definition, {"app": "img:1"}, tmp_path, name="pod")
    task._create_container(container)
    (args,) = engine.calls  # type: ignore[attr-defined]
    return list(args)


def test_read_only_root_gets_no_tmpfs_only_its_volumes(tmp_path: Path) -> None:
    args = create_args(
        tmp_path,
        spec(read_only_root=True, mount_points=(MountPoint("cache", "/app/.cache", False),)),
    )
    assert "--read-only" in args
    assert "--read-only-tmpfs=false" in args  # Fargate adds no /tmp; podman would by default
    assert args[args.index("--volume") + 1] == "pod-cache:/app/.cache"


def test_health_check_comes_from_the_definition_and_no_timer_is_set(tmp_path: Path) -> None:
    check = HealthCheck(("CMD", "python", "-c", "pass"), interval=30, timeout=5, retries=3,
                        start_period=60)  # fmt: skip
    args = create_args(tmp_path, spec(health_check=check, stop_timeout=45, user="10001"))
    assert json.loads(args[args.index("--health-cmd") + 1]) == ["python", "-c", "pass"]
    assert args[args.index("--health-interval") + 1] == "disable"
    assert args[args.index("--health-start-period") + 1] == "60s"
    assert args[args.index("--stop-timeout") + 1] == "45"
    assert args[args.index("--user") + 1] == "10001"
    assert "--env" in args and "PORT=8000" in args
    assert args[-1] == "img:1"


def test_shell_health_checks_and_secrets(tmp_path: Path) -> None:
    check = HealthCheck(("CMD-SHELL", "test -f /ok"), 10, 2, 1, 0)
    args = create_args(tmp_path, spec(health_check=check, secrets=("API_KEYS",)))
    assert args[args.index("--health-cmd") + 1] == "test -f /ok"
    secret = next(a for a in args if a.startswith("API_KEYS="))
    assert len(secret) > len("API_KEYS=rehearsal-")
