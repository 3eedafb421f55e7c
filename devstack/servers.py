"""moto's S3 server and the service as local processes: how `make stack`, the bench and the tests
start them, with what environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import psutil

from devstack.processes import HOST, free_port, running
from service.model_store import publish_model
from service.paths import REPO_ROOT

S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Never inherited: AWS settings that could send S3 calls to a real account, and service settings
# a developer's shell may carry that would change what is served.
NOT_INHERITED = (
    "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "MODEL_URI", "MODEL_SHA256", "MODEL_CACHE_DIR", "API_KEYS", "HOST", "PORT",
)  # fmt: skip
SERVICE_COMMAND = (sys.executable, "-m", "service")


def service_env(**overrides: str) -> dict[str, str]:
    """This environment without NOT_INHERITED, with test S3 credentials, on loopback, + overrides."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return {**env, **S3_CREDENTIALS, "HOST": HOST, **overrides}


def moto_argv(port: int) -> list[str]:
    """moto in server mode on loopback: a real HTTP S3 endpoint."""
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


@contextmanager
def moto_server(log_path: Path | None = None) -> Iterator[str]:
    """moto for the length of a `with` block, answering; yields its URL."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    with running(
        "moto-s3",
        moto_argv(port),
        log_path=log_path,
        env=service_env(),
        ready_url=f"{url}/moto-api/",
        timeout=60,
    ):
        yield url


def publish(model: Path, endpoint: str, bucket: str) -> str:
    """Create the bucket on moto and publish the model (and latest.json) there; its s3:// URI."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=bucket)
    return publish_model(model, bucket=bucket, set_latest=True, client=client)


@contextmanager
def service_process(
    env: dict[str, str],
    *,
    port: int | None = None,
    log: Path | None = None,
    wait_ready: bool = True,
) -> Iterator[tuple[str, psutil.Popen]]:
    """`python -m service` (the real server command) for a `with` block; yields (base URL, process)."""
    base = f"http://{HOST}:{port or (port := free_port())}"
    with running(
        "service",
        SERVICE_COMMAND,
        log_path=log,
        env={**env, "PORT": str(port)},
        cwd=REPO_ROOT,
        ready_url=f"{base}/readyz" if wait_ready else None,
    ) as proc:
        yield base, proc
