"""Start-up: process start to /readyz 200, the model fetched from moto's S3 server, split by phase."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx

from bench.processes import free_port, launch, stop, tail, wait_status
from service.model_store import publish_model

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
BUCKET = "facesim-bench"
PHASE = re.compile(r'^facesim_startup_seconds\{phase="(\w+)"\}\s+([0-9.eE+-]+)$', re.M)


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """moto in server mode on a free loopback port: a real HTTP S3 endpoint. Yields its URL."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **S3_ENV},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_status(f"{url}/moto-api/", proc, timeout=60)
            yield url
        finally:
            stop(proc)


def publish(model: Path, endpoint: str) -> str:
    """Upload the model and its manifest to the moto bucket; returns the .h5's s3:// URI."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    return publish_model(model, bucket=BUCKET, client=client)


def startup_phases(metrics_text: str) -> dict[str, float]:
    """facesim_startup_seconds{phase=...} from the service's /metrics."""
    return {name: float(value) for name, value in PHASE.findall(metrics_text)}


def measure_startup(model: Path, *, runs: int, workdir: Path) -> dict[str, Any]:
    """Start `python -m service` `runs` times with an empty model cache; median ready time."""
    results = []
    with moto_server(workdir / "moto.log") as endpoint:
        uri = publish(model, endpoint)
        for run in range(runs):
            port = free_port()
            cache = workdir / f"startup-cache-{run}"
            env = {
                **os.environ,
                **S3_ENV,
                "MODEL_URI": uri,
                "AWS_ENDPOINT_URL": endpoint,
                "MODEL_CACHE_DIR": str(cache),
                "HOST": "127.0.0.1",
                "PORT": str(port),
            }
            env.pop("API_KEYS", None)
            log = workdir / f"startup-{run}.log"
            with launch([sys.executable, "-m", "service"], env=env, port=port, log=log) as server:
                try:
                    wait_status(
                        f"{server.base_url}/readyz", server.proc, timeout=180, interval=0.02
                    )
                except (RuntimeError, TimeoutError) as exc:
                    raise RuntimeError(f"{exc}\n{tail(log)}") from exc
                ready = time.perf_counter() - server.started_at
                phases = startup_phases(httpx.get(f"{server.base_url}/metrics").text)
            results.append(
                {
                    "ready_s": round(ready, 3),
                    **{f"{k}_s": round(v, 3) for k, v in phases.items()},
                    # interpreter start, FastAPI/uvicorn imports and binding the port
                    "boot_s": round(ready - sum(phases.values()), 3),
                }
            )
    ready_values = [r["ready_s"] for r in results]
    median_run = sorted(results, key=lambda r: r["ready_s"])[len(results) // 2]
    return {
        "model_uri": uri,
        "runs": results,
        "ready_seconds": round(statistics.median(ready_values), 3),
        "median_run": median_run,
    }
