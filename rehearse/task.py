"""One Fargate task as a podman pod: the containers of the task definition, started and stopped as ECS does.

awsvpc gives a task one network namespace with its own address; a pod gives its containers one
too (shared localhost), on a bridge network whose address the host reaches directly, as the load
balancer reaches the task's interface. Each container gets exactly its definition's settings
(environment, secrets, user, health check, stop timeout, read-only root, volumes, ulimits,
memory), the task's CPU and memory limit the pod, and containers start in dependency order and
stop in reverse. Health checks run through `podman healthcheck run` (no systemd timers here).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rehearse.engine import OWNER_LABEL, Engine, labels_of
from rehearse.taskdef import ContainerSpec, TaskDefinition

NETWORK = "facesim-rehearse"
# How often the rehearsal probes while waiting for HEALTHY; ECS probes every `interval` seconds,
# so the report also gives the time at which ECS would first have seen the container healthy.
PROBE_EVERY_S = 1.0
# Files the container engine mounts into every container (not written by its processes).
ENGINE_FILES = frozenset({"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv"})


class TaskFailed(RuntimeError):
    """A container did not start, turn healthy or stop as the task definition says."""


@dataclass(frozen=True)
class StopResult:
    """How one container stopped: the signal it was sent, how long it took, and how it exited."""

    container: str
    signal: str
    seconds: float
    exit_code: int
    timeout: int

    @property
    def killed(self) -> bool:
        """Whether the stop timeout ran out (podman then sends SIGKILL: exit 137)."""
        return self.exit_code == 137 or self.seconds >= self.timeout


@dataclass
class Task:
    """A pod running the task definition's containers from locally built images."""

    engine: Engine
    definition: TaskDefinition
    images: Mapping[str, str]
    run_dir: Path
    extra_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"facesim-rehearse-{uuid.uuid4().hex[:8]}")
    secret_values: dict[str, str] = field(default_factory=dict)
    healthy_after: dict[str, float] = field(default_factory=dict)
    started_at: dict[str, float] = field(default_factory=dict)
    address: str = ""
    gateway: str = ""

    def create(self) -> None:
        """The network (once per storage) and the pod with the task's CPU and memory; started empty."""
        remove_stale_pods(self.engine)
        if self.engine.podman("network", "exists", NETWORK, check=False).returncode != 0:
            # Another rehearsal on this storage may create it at the same moment: fine either way.
            self.engine.podman("network", "create", "--disable-dns", NETWORK, check=False)
            self.engine.podman("network", "exists", NETWORK)
        cpus = min(self.definition.cpu_units / 1024, float(os.cpu_count() or 1))
        self.engine.podman(
            "pod",
            "create",
            "--name",
            self.name,
            "--network",
            NETWORK,
            "--cpus",
            f"{cpus:g}",
            "--memory",
            f"{self.definition.memory_mib}m",
            *labels_of({OWNER_LABEL: "1", f"{OWNER_LABEL}.pid": str(os.getpid())}),
        )
        self.engine.podman("pod", "start", self.name)
        infra = self.engine.podman("pod", "inspect", "--format", "{{.InfraContainerID}}", self.name)
        networks = json.loads(
            self.engine.podman(
                "inspect", "--format", "{{json .NetworkSettings.Networks}}", infra.stdout.strip()
            ).stdout
        )
        self.address = networks[NETWORK]["IPAddress"]
        self.gateway = networks[NETWORK]["Gateway"]
        for volume in self.definition.volumes:
            self.engine.podman(
                "volume", "create", *labels_of({OWNER_LABEL: "1"}), self._volume(volume)
            )

    def start(self) -> None:
        """Every container in dependency order, each waiting for its dependencies' conditions."""
        for spec in self.definition.start_order():
            for dependency, condition in spec.depends_on:
                self._wait_condition(dependency, condition)
            self._create_container(spec)
            self.start_container(spec.name)

    def start_container(self, name: str) -> None:
        """Start (or restart) one container and note when."""
        self.engine.podman("start", self._ctr(name), timeout=120)
        self.started_at[name] = time.monotonic()
        self.healthy_after.pop(name, None)

    def wait_healthy(self, name: str, *, timeout: float | None = None) -> float:
        """Probe until the container's health check passes; seconds since it started."""
        spec = self.definition.container(name)
        check = spec.health_check
        if check is None:
            raise TaskFailed(f"{name} has no health check; a HEALTHY dependency on it never starts")
        budget = timeout or check.start_period + check.interval * check.retries + 120
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            probe = self.engine.podman(
                "healthcheck", "run", self._ctr(name), check=False, timeout=check.timeout + 30
            )
            if probe.returncode == 0:
                seconds = time.monotonic() - self.started_at[name]
                self.healthy_after[name] = seconds
                return seconds
            state = self.state(name)
            if state["Status"] != "running":
                raise TaskFailed(
                    f"{name} exited ({state['ExitCode']}) before turning healthy:\n"
                    f"{self.logs(name)[-3000:]}"
                )
            if state.get("Health", {}).get("Status") == "unhealthy":
                raise TaskFailed(
                    f"{name} turned unhealthy: {probe.stdout}{probe.stderr}\n"
                    f"{self.logs(name)[-3000:]}"
                )
            time.sleep(PROBE_EVERY_S)
        raise TaskFailed(f"{name} not healthy within {budget:.0f} s:\n{self.logs(name)[-3000:]}")

    def ecs_healthy_after(self, name: str) -> float | None:
        """When ECS would first have seen it healthy: its first passing probe, every `interval` s."""
        check = self.definition.container(name).health_check
        seconds = self.healthy_after.get(name)
        if check is None or seconds is None:
            return None
        return float(max(1, math.ceil(seconds / check.interval)) * check.interval)

    def stop_like_ecs(self) -> list[StopResult]:
        """Dependents first, each with its image's stop signal and its definition's stop timeout."""
        results = []
        for spec in reversed(self.definition.start_order()):
            ctr = self._ctr(spec.name)
            signal = self.engine.podman("inspect", "--format", "{{.Config.StopSignal}}", ctr)
            started = time.monotonic()
            self.engine.podman(
                "stop", "--time", str(spec.stop_timeout), ctr, timeout=spec.stop_timeout + 60
            )
            seconds = time.monotonic() - started
            results.append(
                StopResult(
                    spec.name,
                    _signal_name(signal.stdout.strip()),
                    seconds,
                    int(self.state(spec.name)["ExitCode"]),
                    spec.stop_timeout,
                )
            )
        return results

    def kill(self, name: str) -> None:
        """SIGKILL one container (a crash), leaving the rest of the pod running."""
        self.engine.podman("kill", "--signal", "KILL", self._ctr(name))
        self.engine.podman("wait", self._ctr(name), timeout=60)

    def state(self, name: str) -> dict[str, Any]:
        """`podman inspect`'s State of one container."""
        out = self.engine.podman("inspect", "--format", "{{json .State}}", self._ctr(name))
        return dict(json.loads(out.stdout))

    def logs(self, name: str) -> str:
        """Both streams of one container's log."""
        out = self.engine.podman("logs", self._ctr(name), check=False)
        return out.stdout + out.stderr

    def host_pids(self, name: str) -> list[int]:
        """The container's processes as host pids."""
        out = self.engine.podman("top", self._ctr(name), "hpid")
        return [int(line) for line in out.stdout.split()[1:] if line.strip().isdigit()]

    def exec(self, name: str, *argv: str, timeout: float = 120) -> tuple[int, str]:
        """Run a command inside a running container as its user; (exit code, output)."""
        out = self.engine.podman("exec", self._ctr(name), *argv, check=False, timeout=timeout)
        return out.returncode, out.stdout + out.stderr

    def writes(self, name: str) -> list[str]:
        """Paths the container's processes added or changed in its root filesystem.

        Volumes are not part of the root filesystem; the files the engine itself mounts in (as
        Fargate does: hosts, resolv.conf, hostname) and their directories are left out.
        """
        out = self.engine.podman("diff", "--format", "json", self._ctr(name))
        found = json.loads(out.stdout or "{}")
        paths = {*found.get("added", []), *found.get("changed", [])}
        kept = paths - ENGINE_FILES
        return sorted(
            p
            for p in kept
            if not any(f.startswith(p + "/") for f in ENGINE_FILES)
            or any(o.startswith(p + "/") for o in kept)
        )

    def save_logs(self) -> None:
        """Each container's log under run_dir/logs/, for reading after the pod is gone."""
        logs = self.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for spec in self.definition.containers:
            if (
                self.engine.podman(
                    "container", "exists", self._ctr(spec.name), check=False
                ).returncode
                == 0
            ):
                (logs / f"{spec.name}.log").write_text(self.logs(spec.name))

    def remove(self) -> None:
        """The pod, its containers and its volumes; nothing of the storage's images."""
        self.save_logs()
        self.engine.podman(
            "pod", "rm", "--force", "--time", "0", self.name, check=False, timeout=120
        )
        for volume in self.definition.volumes:
            self.engine.podman("volume", "rm", "--force", self._volume(volume), check=False)

    def secret(self, name: str) -> str:
        """The value the rehearsal gives a Secrets Manager secret (generated once per task)."""
        return self.secret_values.setdefault(name, f"rehearsal-{secrets.token_hex(16)}")

    def _ctr(self, name: str) -> str:
        return f"{self.name}-{name}"

    def _volume(self, volume: str) -> str:
        return f"{self.name}-{volume}"

    def _wait_condition(self, name: str, condition: str) -> None:
        if condition == "START":
            return
        if condition == "HEALTHY":
            if name not in self.healthy_after:
                self.wait_healthy(name)
            return
        if condition in ("COMPLETE", "SUCCESS"):
            code = int(self.engine.podman("wait", self._ctr(name), timeout=900).stdout.strip())
            if condition == "SUCCESS" and code != 0:
                raise TaskFailed(f"{name} exited {code}; its dependents need SUCCESS")
            return
        raise TaskFailed(f"unknown dependency condition {condition}")

    def _create_container(self, spec: ContainerSpec) -> None:
        args = [
            "create",
            "--pod",
            self.name,
            "--name",
            self._ctr(spec.name),
            "--stop-timeout",
            str(spec.stop_timeout),
        ]
        env = {**spec.environment, **self.extra_env.get(spec.name, {})}
        env.update({secret: self.secret(secret) for secret in spec.secrets})
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        if spec.user:
            args += ["--user", spec.user]
        if spec.read_only_root:
            # Fargate gives a read-only root no tmpfs at all; podman would add /tmp, /run, /var/tmp.
            args += ["--read-only", "--read-only-tmpfs=false"]
        for mount in spec.mount_points:
            args += [
                "--volume",
                f"{self._volume(mount.volume)}:{mount.path}" + (":ro" if mount.read_only else ""),
            ]
        for ulimit, soft, hard in spec.ulimits:
            args += ["--ulimit", f"{ulimit}={soft}:{hard}"]
        if spec.memory_mib:
            args += ["--memory", f"{spec.memory_mib}m"]
        if spec.memory_reservation_mib:
            args += ["--memory-reservation", f"{spec.memory_reservation_mib}m"]
        if spec.health_check:
            check = spec.health_check
            kind, *command = check.command
            args += [
                "--health-cmd",
                json.dumps(command) if kind == "CMD" else " ".join(command),
                "--health-interval",
                "disable",  # no systemd timer; probed by wait_healthy
                "--health-timeout",
                f"{check.timeout}s",
                "--health-retries",
                str(check.retries),
                "--health-start-period",
                f"{check.start_period}s",
            ]
        if spec.entry_point is not None:
            args += ["--entrypoint", json.dumps(list(spec.entry_point))]
        args.append(self.images[spec.name])
        if spec.command is not None:
            args += list(spec.command)
        self.engine.podman(*args, timeout=120)


def remove_stale_pods(engine: Engine) -> None:
    """Pods of rehearsals whose process is gone (a crash or Ctrl-C), with their volumes."""
    listed = engine.podman(
        "pod", "ps", "--filter", f"label={OWNER_LABEL}", "--format", "json", check=False
    )
    for pod in json.loads(listed.stdout or "[]"):
        pid = int(pod.get("Labels", {}).get(f"{OWNER_LABEL}.pid", "0"))
        if pid and _alive(pid):
            continue
        engine.podman("pod", "rm", "--force", "--time", "0", pod["Name"], check=False)
    engine.podman("volume", "prune", "--force", "--filter", f"label={OWNER_LABEL}", check=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_name(value: str) -> str:
    """podman reports the stop signal as a name or a number; the report shows names."""
    names = {"3": "SIGQUIT", "15": "SIGTERM", "2": "SIGINT", "9": "SIGKILL"}
    return names.get(value, value or "SIGTERM")
