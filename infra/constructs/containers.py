"""The two containers of the task: their settings, health checks and writable paths.

Both run with a read-only root filesystem. They write only to task bind mounts, each declared as a
VOLUME in its Dockerfile (owned by the image's user, or /tmp's sticky 1777): ECS copies a VOLUME
directory's contents and ownership into a bind mount at the same path (ECS developer guide, "Use
bind mounts"), so the non-root users can write there. The app writes the downloaded model
(/app/.cache) and /tmp (TensorFlow's autograph writes generated code there at warm-up, as `make
rehearse` found); nginx writes its RUN_DIR.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs

from infra.contract import (
    APP_CACHE_DIR,
    APP_GRACEFUL_TIMEOUT_S,
    APP_HOST,
    APP_PORT,
    APP_TMP_DIR,
    LIVENESS_PATH,
    MAX_REQUEST_BYTES,
    NGINX_HTTP_PORT,
    NGINX_HTTPS_PORT,
    NGINX_PROXY_READ_TIMEOUT_S,
    NGINX_RUN_DIR,
)

APP_CONTAINER: Final = "app"
NGINX_CONTAINER: Final = "nginx"
WRITABLE_PATHS: Final = {
    APP_CONTAINER: {"app-cache": APP_CACHE_DIR, "app-tmp": APP_TMP_DIR},
    NGINX_CONTAINER: {"nginx-run": NGINX_RUN_DIR},
}
EMF_INTERVAL_S: Final = 60

# The app image is python:slim without curl; urlopen raises (exit 1) on a refused connection or
# a non-2xx answer.
LIVENESS_URL: Final = f"http://{APP_HOST}:{APP_PORT}{LIVENESS_PATH}"
LIVENESS_COMMAND: Final = [
    "CMD",
    "python",
    "-c",
    f"import urllib.request; urllib.request.urlopen('{LIVENESS_URL}', timeout=4)",
]


def nginx_liveness_command(port: int = NGINX_HTTP_PORT) -> list[str]:
    """nginx answers its own HTTP port (the 301 to HTTPS) without the app: liveness of nginx alone.

    The nginx image has bash but no curl; bash's /dev/tcp speaks the request.
    """
    script = (
        f"exec 3<>/dev/tcp/127.0.0.1/{port} "
        "&& printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 "
        "&& read -r status <&3 && [[ $status == 'HTTP/1.1 301'* ]]"
    )
    return ["CMD", "bash", "-c", script]


# Every 10 s: nginx (which waits for the app to be HEALTHY) starts at most ~10 s after the app
# answers, instead of one 30 s interval later on every deploy and scale-out; three misses in a
# row (30 s) before ECS replaces a task, so a CPU-saturated moment does not kill a busy task.
HEALTH_INTERVAL: Final = Duration.seconds(10)
HEALTH_TIMEOUT: Final = Duration.seconds(5)
HEALTH_RETRIES: Final = 3


def app_health_check() -> ecs.HealthCheck:
    """Liveness of the app (/healthz, not /readyz: readiness is the load balancer's question)."""
    return ecs.HealthCheck(
        command=LIVENESS_COMMAND,
        interval=HEALTH_INTERVAL,
        timeout=HEALTH_TIMEOUT,
        retries=HEALTH_RETRIES,
        start_period=Duration.seconds(60),
    )


def nginx_health_check() -> ecs.HealthCheck:
    """Liveness of nginx itself."""
    return ecs.HealthCheck(
        command=nginx_liveness_command(),
        interval=HEALTH_INTERVAL,
        timeout=HEALTH_TIMEOUT,
        retries=HEALTH_RETRIES,
        start_period=Duration.seconds(10),
    )


def app_environment(
    *,
    model_uri: str,
    model_sha256: str | None,
    model_kind: str,
    region: str,
    docs_enabled: bool,
    metrics_namespace: str,
) -> Mapping[str, str]:
    """The app's settings (service/config.py names them); none is secret."""
    environment = {
        "HOST": APP_HOST,  # loopback: reachable from nginx in this task, from nothing else
        "PORT": str(APP_PORT),
        "MODEL_URI": model_uri,
        "MODEL_KIND": model_kind,  # the published manifest's kind (deploy plan)
        "GRACEFUL_TIMEOUT": str(APP_GRACEFUL_TIMEOUT_S),
        "MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES),
        "LOG_LEVEL": "info",
        "AWS_REGION": region,
        "DOCS_ENABLED": "true" if docs_enabled else "false",
        # One embedded-metric-format line per minute: the dashboard's inference metrics.
        "EMF_NAMESPACE": metrics_namespace,
        "EMF_INTERVAL_SECONDS": str(EMF_INTERVAL_S),
    }
    if model_sha256 is not None:
        environment["MODEL_SHA256"] = model_sha256
    return environment


def nginx_environment(*, vpc_cidr: str) -> Mapping[str, str]:
    """Names and meanings: nginx/entrypoint (its defaults cover the rest of the template)."""
    return {
        "LISTEN_HTTPS_PORT": str(NGINX_HTTPS_PORT),
        "LISTEN_HTTP_PORT": str(NGINX_HTTP_PORT),
        "PUBLIC_HTTPS_PORT": "443",
        "UPSTREAM_HOST": APP_HOST,
        "UPSTREAM_PORT": str(APP_PORT),
        "MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES),
        "PROXY_READ_TIMEOUT": f"{NGINX_PROXY_READ_TIMEOUT_S}s",
        "RUN_DIR": NGINX_RUN_DIR,
        # Only the ALB, inside the VPC, connects; its X-Forwarded-For entry is trusted.
        "REAL_IP_FROM": vpc_cidr,
    }


def mount_writable_paths(
    task_definition: ecs.TaskDefinition, container: ecs.ContainerDefinition
) -> None:
    """Give a read-only container its writable directories (task bind mounts, one per path)."""
    for volume, path in WRITABLE_PATHS[container.container_name].items():
        task_definition.add_volume(name=volume)
        container.add_mount_points(
            ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
        )
