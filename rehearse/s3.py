"""The model bucket, stood in for by moto's S3 server, with the model published the deploy's way.

moto listens on the pod network's gateway address: the containers reach it as a Fargate task
reaches S3 through its gateway endpoint, and nothing else on the host network sees it. The model
is published with service.model_store.publish_model (what scripts/publish_model.py runs in a
deploy) to the key the task definition's MODEL_URI names, from models/<that key's file name>.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import boto3
import httpx

from devstack import processes
from rehearse.engine import REPO_ROOT
from rehearse.taskdef import ModelLocation
from service.model_store import publish_model

BUCKET = "facesim-rehearsal-models"
# Credentials moto accepts; in AWS the task role's come from the container credentials endpoint.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal"}


class PublishError(RuntimeError):
    """The model the task definition names is not here, or publishing it used another key."""


@dataclass(frozen=True)
class S3StandIn:
    """A running moto server: where containers reach it, and the settings that point boto3 at it."""

    url: str
    bucket: str

    def container_env(self) -> dict[str, str]:
        """Rehearsal-only settings of the container that reads the model (not in the template)."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL_S3": self.url, "AWS_EC2_METADATA_DISABLED": "true"}

    def publish(self, model: ModelLocation, *, models_dir: Path = REPO_ROOT / "models") -> Path:
        """Publish models/<file> so that it lands at exactly the task definition's key."""
        key = PurePosixPath(model.key)
        local = models_dir / key.name
        if not local.exists():
            raise PublishError(f"{model.variable} names {key.name}, which is not in {models_dir}")
        prefix = str(key.parent.parent)  # <prefix>/<version>/<file>: publish_model's layout
        client = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=self.bucket)
        uri = publish_model(local, bucket=self.bucket, prefix=prefix, client=client)
        if uri != f"s3://{self.bucket}/{key}":
            raise PublishError(
                f"publishing {local} wrote {uri}, but the task definition reads "
                f"s3://<bucket>/{key}: the deploy and the stack disagree on the key"
            )
        return local


@contextmanager
def moto_on(address: str, *, log: Path) -> Iterator[S3StandIn]:
    """moto's S3 server on address:<free port> for the duration of the block."""
    port = processes.free_port(address)
    env = {**os.environ, **CREDENTIALS}
    proc, record = processes.spawn(
        "moto-s3",
        [sys.executable, "-m", "moto.server", "-H", address, "-p", str(port)],
        log_path=log,
        env=env,
    )
    url = f"http://{address}:{port}"
    try:
        processes.wait_until(
            lambda: _answers(f"{url}/moto-api/"),
            timeout=60,
            what="moto S3 server",
            alive=lambda: proc.poll() is None,
            log_path=log,
        )
        yield S3StandIn(url=url, bucket=BUCKET)
    finally:
        processes.stop(record, timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
