"""compose.yaml under podman-compose on machines without Docker, with what compose cannot say about them.

A machine with Docker runs `docker compose up` and needs none of this. Ours have podman 4.3
(Debian 12), no registry, no systemd and a TLS-inspecting egress proxy, so this module adds:
  - the stand-in base images (rehearse/bases.py) before a build, and the rehearsal's own storage
    and podman settings (rehearse/engine.py);
  - at build time only, this machine's CA bundle over the image's, so pip trusts the proxy; a
    bind mount is never part of a layer, so no image ships it;
  - start order on health: podman-compose ignores `condition: service_healthy` before podman 4.6
    and health checks run only when asked (no systemd timers), so `up` starts the services one by
    one in dependency order, waiting for each condition itself (`podman healthcheck run`);
  - the open-files hard limit capped at the host's own (root on our VMs cannot raise it).
"""

from __future__ import annotations

import re
import resource
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from rehearse.bases import base_images, ensure_base
from rehearse.engine import REPO_ROOT, Engine, EngineError, run
from service.manifest import manifest_path_for, read_manifest

COMPOSE_FILE = REPO_ROOT / "compose.yaml"
DEFAULT_KEYS_FILE = REPO_ROOT / ".cache" / "compose" / "api_keys"
FARGATE_NOFILE_HARD = 65535
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Where Debian's OpenSSL, and so the stand-in's pip and apt, read the trusted certificates.
IMAGE_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Seconds to wait beyond a health check's own start period and retries (a busy 2-core machine).
HEALTH_SLACK_S = 180.0
_DURATION = re.compile(r"(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")


@dataclass(frozen=True)
class Stack:
    """One compose project of compose.yaml: its name, host ports, model and API-key file."""

    engine: Engine
    project: str = "facesim"
    https_port: int = 8443
    s3_port: int = 9000
    model: str | None = None  # a file in models/; None: compose.yaml's default
    keys_file: Path = DEFAULT_KEYS_FILE

    def env(self) -> dict[str, str]:
        """The variables compose.yaml reads, on top of the engine's environment."""
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        env = {
            **self.engine.env(),
            "HTTPS_PORT": str(self.https_port),
            "S3_PORT": str(self.s3_port),
            "API_KEYS_FILE": str(self.keys_file),
            "NOFILE_HARD": str(FARGATE_NOFILE_HARD if hard < 0 else min(hard, FARGATE_NOFILE_HARD)),
        }
        env.pop("MODEL", None)
        env.pop("MODEL_KIND", None)
        if not self.model:
            return env
        # A path (make rehearse MODEL=models/x.h5) or a name in models/; the kind from its manifest.
        name = Path(self.model).name
        kind = read_manifest(manifest_path_for(REPO_ROOT / "models" / name)).kind
        return {**env, "MODEL": name, "MODEL_KIND": kind}

    def compose(self, *args: str, timeout: float = 300.0) -> str:
        """`podman-compose <args>` on this project; its output, or EngineError with it."""
        ca = ["--podman-build-args", f"--volume {HOST_CA_BUNDLE}:{IMAGE_CA_BUNDLE}:ro"]
        # podman 4.3 ignores containers.conf's default ulimits for a container given any --ulimit
        # (compose.yaml gives nofile) and sets nproc to 1048576, which root on our VMs may not:
        # containers.conf's nproc, passed explicitly.
        nproc = [f"--ulimit {u}" for u in self.engine.default_ulimits() if u.startswith("nproc=")]
        nproc = ["--podman-run-args", *nproc] if nproc else []
        project = ["--project-name", self.project]
        extra = [*(ca if HOST_CA_BUNDLE.is_file() else []), *nproc]
        return _podman_compose(*project, *extra, *args, env=self.env(), timeout=timeout)

    def config(self) -> dict[str, Any]:
        """compose.yaml as podman-compose reads it, this stack's variables filled in."""
        return read_config(self.env())

    def build(self, *, logs: Path) -> None:
        """The stand-in bases, then each image compose.yaml builds (cached layers reused), step by step.

        The first build takes minutes (Debian bases, TensorFlow's wheels), so a terminal gets a bar
        with the time left and a log (CI) a line per step.
        """
        images = {n: s["build"] for n, s in self.config()["services"].items() if "build" in s}
        bases = {
            b
            for i in images.values()
            for b in base_images(Path(i["context"]) / i.get("dockerfile", "Dockerfile"))
        }
        steps = [*(f"base image {b}" for b in sorted(bases)), *(f"image of {n}" for n in images)]
        with tqdm(steps, desc="build", unit="step", disable=None) as bar:
            for step in bar:
                bar.set_postfix_str(step)
                if bar.disable:
                    print(f"build: {step}", flush=True)
                if step.startswith("base image "):
                    ensure_base(self.engine, step.removeprefix("base image "), logs=logs)
                else:
                    self.compose("build", step.removeprefix("image of "), timeout=3600)

    def up(self) -> None:
        """Each service in dependency order, once its dependencies meet their conditions."""
        if not self.keys_file.exists():
            self.keys_file.parent.mkdir(parents=True, exist_ok=True)
            self.keys_file.parent.chmod(0o700)
            self.keys_file.write_text(secrets.token_hex(24) + "\n")
            # Compose bind-mounts the file as it is: the app's non-root user must read it.
            self.keys_file.chmod(0o644)
        services = self.config()["services"]
        for name in _start_order(services):
            for dependency, condition in services[name].get("depends_on", {}).items():
                self.wait_for(dependency, condition["condition"], services[dependency])
            self.compose("up", "--detach", "--no-deps", name)

    def down(self) -> None:
        """Stop and remove the project's containers, volumes and network."""
        self.compose("down", "--volumes", "--timeout", "30", timeout=600)

    def container(self, service: str) -> str:
        """The id of the service's container."""
        labels = (f"project={self.project}", f"service={service}")
        filters = [f"--filter=label=com.docker.compose.{label}" for label in labels]
        ids = self.engine.podman("ps", "--all", "--quiet", *filters).stdout.split()
        if len(ids) != 1:
            raise EngineError(f"expected one container of {service}, found {ids}")
        return ids[0]

    def logs(self, service: str) -> str:
        """Both streams of the service's container log, every restart included."""
        out = self.engine.podman("logs", self.container(service), check=False)
        return out.stdout + out.stderr

    def healthy(self, service: str) -> bool:
        """Run the service's health check once now (what a systemd timer would do)."""
        probe = self.engine.podman("healthcheck", "run", self.container(service), check=False)
        return probe.returncode == 0

    def wait_for(self, service: str, condition: str, spec: dict[str, Any]) -> None:
        """Block until `service` meets a compose depends_on condition; EngineError if it cannot."""
        if condition == "service_started":
            return
        if condition == "service_completed_successfully":
            code = self.engine.podman("wait", self.container(service), timeout=600).stdout.strip()
            if code != "0":
                raise EngineError(f"{service} exited {code}:\n{self.logs(service)[-3000:]}")
            return
        check = spec["healthcheck"]
        budget = HEALTH_SLACK_S + seconds(check.get("start_period", "0s"))
        budget += seconds(check.get("interval", "30s")) * int(check.get("retries", 3))
        deadline = time.monotonic() + budget
        while not self.healthy(service):
            if time.monotonic() > deadline:
                raise EngineError(
                    f"{service} not healthy in {budget:.0f} s:\n{self.logs(service)[-3000:]}"
                )
            time.sleep(1.0)


def read_config(env: Mapping[str, str]) -> dict[str, Any]:
    """`podman-compose config` of compose.yaml: normalized, `env`'s variables filled in."""
    return dict(yaml.safe_load(_podman_compose("--dry-run", "config", env=env, timeout=60)))


def _podman_compose(*args: str, env: Mapping[str, str], timeout: float) -> str:
    """`podman-compose --file compose.yaml <args>`'s output; EngineError with it if it fails."""
    argv = [sys.executable, "-m", "podman_compose", "--file", str(COMPOSE_FILE), *args]
    return run(argv, env=env, timeout=timeout).stdout


def _start_order(services: dict[str, Any]) -> list[str]:
    """Dependencies before dependents (network_mode service:X counts as one)."""
    graph = {name: set(service.get("depends_on", {})) for name, service in services.items()}
    try:
        return [name for name in TopologicalSorter(graph).static_order() if name in services]
    except CycleError as exc:
        raise EngineError(f"dependency cycle among {sorted(set(exc.args[1]))}") from exc


def seconds(duration: str | int) -> int:
    """A compose duration ("1m30s", "10s") in whole seconds."""
    match = _DURATION.fullmatch(str(duration))
    if isinstance(duration, int) or not match or not any(match.groups()):
        raise ValueError(f"not a duration in minutes and seconds: {duration!r}")
    return int(match["m"] or 0) * 60 + int(match["s"] or 0)
