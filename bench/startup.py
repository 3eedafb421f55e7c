"""Start-up: process start to /readyz 200, the model fetched from moto's S3 server, split by phase."""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

import httpx

from bench.results import Startup
from devstack.servers import moto_server, publish, service_env, service_process

PHASE = re.compile(r'^facesim_startup_seconds\{phase="(\w+)"\}\s+([0-9.eE+-]+)$', re.M)


def measure_startup(model: Path, *, runs: int, workdir: Path) -> Startup:
    """Start `python -m service` `runs` times with an empty model cache; median ready time."""
    results = []
    with moto_server(workdir / "moto.log") as endpoint:
        uri = publish(model, endpoint, "facesim-bench")
        for run in range(runs):
            cache = str(workdir / f"startup-cache-{run}")
            env = service_env(MODEL_URI=uri, AWS_ENDPOINT_URL=endpoint, MODEL_CACHE_DIR=cache)
            started = time.perf_counter()
            with service_process(env, log=workdir / f"startup-{run}.log") as (base, _):
                ready = time.perf_counter() - started
                phases = {k: float(v) for k, v in PHASE.findall(httpx.get(f"{base}/metrics").text)}
            # boot: interpreter start, FastAPI/uvicorn imports and binding the port
            found = {"ready_s": ready, **{f"{k}_s": v for k, v in phases.items()}}
            found["boot_s"] = ready - sum(phases.values())
            results.append({k: round(v, 3) for k, v in found.items()})
    median = sorted(results, key=lambda r: r["ready_s"])[len(results) // 2]
    ready_seconds = round(statistics.median(r["ready_s"] for r in results), 3)
    return Startup(model_uri=uri, runs=results, ready_seconds=ready_seconds, median_run=median)
