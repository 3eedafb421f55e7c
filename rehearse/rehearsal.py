"""The rehearsal's two phases: prepare (read cdk.out, build the images) and run (the task as a pod).

`make rehearse` (scripts/rehearse.py) and tests/rehearse/ both go through here, so the test runs
exactly what the command runs.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rehearse.engine import REPO_ROOT, Engine
from rehearse.images import BuiltImage, ImageSource, build_image
from rehearse.pipconf import host_pip_settings, pip_mounts
from rehearse.s3 import S3StandIn, moto_on
from rehearse.task import Task, TaskFailed
from rehearse.taskdef import TaskDefinition, read_task_definition

# Which Dockerfile builds each task-definition container's image (as scripts/deploy.sh builds them).
IMAGE_SOURCES = (
    # Today's image was 2.1 GB (issue 14); without tensorflow-cpu's headers it is ~1.7 GB on the
    # stand-in base. Fargate pulls all of it at every task start.
    ImageSource("app", REPO_ROOT / "Dockerfile", REPO_ROOT, size_budget=1_800_000_000),
    ImageSource("nginx", REPO_ROOT / "nginx" / "Dockerfile", REPO_ROOT / "nginx"),
)
API_KEY_SECRET = "API_KEYS"
API_KEY_HEADER = "X-API-Key"  # service/api/deps.py
# Model download, checksum, TensorFlow import, load and warm-up on a busy 2-core machine.
READY_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Prepared:
    """The task definition and the images built for its containers."""

    definition: TaskDefinition
    images: dict[str, BuiltImage]
    seconds: float


def prepare(engine: Engine, cdk_out: Path, *, logs: Path) -> Prepared:
    """Check podman, read the task definition, build one image per container (bases cached)."""
    started = time.monotonic()
    engine.check_available()
    definition = read_task_definition(cdk_out)
    sources = {source.container: source for source in IMAGE_SOURCES}
    unknown = [c.name for c in definition.containers if c.name not in sources]
    if unknown:
        raise TaskFailed(f"no Dockerfile known for container(s) {unknown}: add to IMAGE_SOURCES")
    pip = pip_mounts(host_pip_settings())
    images = {
        spec.name: build_image(engine, sources[spec.name], pip=pip, logs=logs)
        for spec in definition.containers
    }
    return Prepared(definition, images, time.monotonic() - started)


@dataclass
class Rehearsal:
    """A running task: how to reach it as the load balancer does, and what it took to start."""

    prepared: Prepared
    task: Task
    s3: S3StandIn
    model_path: Path
    run_dir: Path
    start_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    _context: ssl.SSLContext | None = None

    @property
    def definition(self) -> TaskDefinition:
        return self.prepared.definition

    @property
    def base_url(self) -> str:
        """The target's address, as the load balancer reaches the task's interface."""
        target = self.definition.target
        return f"{target.protocol.lower()}://{self.task.address}:{target.port}"

    def ssl_context(self) -> ssl.SSLContext:
        """Trust exactly the certificate the front container presents (made at its start)."""
        if self._context is None:
            pem = ssl.get_server_certificate((self.task.address, self.definition.target.port))
            context = ssl.create_default_context(cadata=pem)
            context.check_hostname = False  # issued to localhost; the ALB checks no name either
            self._context = context
        return self._context

    def headers(self) -> dict[str, str]:
        """The API key, when the task definition gives the app one."""
        if any(API_KEY_SECRET in spec.secrets for spec in self.definition.containers):
            return {API_KEY_HEADER: self.task.secret(API_KEY_SECRET)}
        return {}

    def client(self) -> httpx.Client:
        """HTTPS to the target port, the certificate pinned, the API key sent."""
        verify: ssl.SSLContext | bool = (
            self.ssl_context() if self.definition.target.protocol == "HTTPS" else False
        )
        return httpx.Client(
            base_url=self.base_url, verify=verify, headers=self.headers(), timeout=60.0
        )

    def target_healthy(self) -> bool:
        """The load balancer's health check: its path answers one of its codes."""
        target = self.definition.target
        try:
            with self.client() as client:
                status = client.get(target.health_path, timeout=5.0).status_code
        except (httpx.HTTPError, OSError):
            return False
        return str(status) in target.healthy_codes.split(",")

    def wait_target_healthy(self, timeout: float = READY_TIMEOUT_S) -> float:
        """Seconds until the target health check passes."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.target_healthy():
                return time.monotonic() - started
            for spec in self.definition.containers:
                state = self.task.state(spec.name)
                if spec.essential and state["Status"] != "running":
                    raise TaskFailed(
                        f"essential container {spec.name} exited ({state['ExitCode']}); ECS "
                        f"would stop the task:\n{self.task.logs(spec.name)[-3000:]}"
                    )
            time.sleep(0.5)
        raise TaskFailed(f"{self.definition.target.health_path} not healthy in {timeout:.0f} s")


@contextmanager
def running(engine: Engine, prepared: Prepared, *, run_dir: Path) -> Iterator[Rehearsal]:
    """The task as a pod, its model in moto's S3, until its target is healthy; removed after."""
    definition = prepared.definition
    images = {name: built.source.tag for name, built in prepared.images.items()}
    task = Task(engine, definition, images, run_dir)
    try:
        task.create()
        with moto_on(task.gateway, log=run_dir / "logs" / "moto-s3.log") as s3:
            if definition.model is None:
                raise TaskFailed("the task definition reads no model from S3 (no s3:// setting)")
            model = definition.model
            model_path = s3.publish(model)
            task.extra_env = {
                model.container: {
                    **s3.container_env(),
                    model.variable: f"s3://{s3.bucket}/{model.key}",
                }
            }
            started = time.monotonic()
            task.start()
            rehearsal = Rehearsal(prepared, task, s3, model_path, run_dir)
            rehearsal.wait_target_healthy()
            rehearsal.start_seconds = time.monotonic() - started
            yield rehearsal
    finally:
        task.remove()
