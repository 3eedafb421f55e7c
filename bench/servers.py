"""The servers compared, each started as one worker process and driven by the load generator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.inputs import REPO, Triplet
from bench.processes import free_port, launch, tail, wait_status
from bench.procstats import snapshot

BATCH = re.compile(r"^facesim_inference_batch_size_(sum|count)\s+([0-9.eE+-]+)$", re.M)


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server and where it answers."""

    name: str
    label: str
    command: tuple[str, ...]
    env: dict[str, str] = field(repr=False)
    ready_path: str = "/readyz"
    predict_path: str = "/predict"


def facesim_spec(model: Path, cache: Path, extra_env: dict[str, str]) -> ServerSpec:
    """Our service, started with its one server command, with its default settings."""
    env = {**os.environ, "MODEL_URI": str(model), "MODEL_CACHE_DIR": str(cache), **extra_env}
    env.pop("API_KEYS", None)
    return ServerSpec("facesim", "facesim (this service)", (sys.executable, "-m", "service"), env)


def naive_spec(model: Path) -> ServerSpec:
    """FastAPI + model.predict per request (bench/naive_app.py)."""
    command = (sys.executable, "-m", "bench.naive_app", "--model", str(model))
    return ServerSpec("naive", "naive FastAPI + predict()", command, dict(os.environ))


def bentoml_spec(model: Path, bentoml: Path, home: Path) -> ServerSpec:
    """BentoML serving bench/bentoml_service.py from its own venv."""
    env = {
        **os.environ,
        "FACESIM_BENCH_MODEL": str(model),
        "BENTOML_HOME": str(home),
        "BENTOML_DO_NOT_TRACK": "True",
        "PYTHONPATH": str(REPO),
    }
    env.pop("VIRTUAL_ENV", None)
    command = (str(bentoml), "serve", "bench.bentoml_service:FaceSimBento", "--host", "127.0.0.1")
    return ServerSpec("bentoml", "BentoML 1.4 (1 worker)", command, env)


def _batch_totals(base_url: str) -> tuple[float, float]:
    """(sum, count) of the service's batch-size histogram; zeros for servers without it."""
    try:
        text = httpx.get(f"{base_url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return 0.0, 0.0
    found = dict(BATCH.findall(text))
    return float(found.get("sum", 0)), float(found.get("count", 0))


def _command_with_port(spec: ServerSpec, port: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment with the port filled in."""
    if spec.name == "facesim":
        return list(spec.command), {**spec.env, "HOST": "127.0.0.1", "PORT": str(port)}
    return [*spec.command, "--port", str(port)], spec.env


def measure_server(
    spec: ServerSpec,
    triplet: Triplet,
    images_dir: Path,
    *,
    levels: tuple[int, ...],
    duration: float,
    warmup: float,
    workdir: Path,
) -> dict[str, Any]:
    """Start the server, check its answer, run every level from a separate load generator."""
    port = free_port()
    command, env = _command_with_port(spec, port)
    log = workdir / f"{spec.name}.log"
    with launch(command, env=env, port=port, log=log) as server:
        try:
            wait_status(f"{server.base_url}{spec.ready_path}", server.proc, timeout=300)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{spec.name} did not become ready: {exc}\n{tail(log)}") from exc
        ready_s = time.perf_counter() - server.started_at
        body, content_type = triplet.multipart()
        answer = httpx.post(
            f"{server.base_url}{spec.predict_path}",
            content=body,
            headers={"Content-Type": content_type},
            timeout=60,
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{spec.name} answered {answer.status_code}: {answer.text[:300]}")
        warm = snapshot(server.proc.pid)
        run_level = partial(
            _level, server.base_url, spec, server.proc.pid, images_dir, workdir,
            duration=duration, warmup=warmup,
        )  # fmt: skip
        results = [run_level(concurrency) for concurrency in levels]
        final = snapshot(server.proc.pid)
    scores = answer.json().get("scores", {})
    return {
        "label": spec.label,
        "ready_s": round(ready_s, 3),
        "processes": len(warm.pids),
        "distances": [
            scores.get("img1", {}).get("distance"),
            scores.get("img2", {}).get("distance"),
        ],
        "most_similar": answer.json().get("most_similar"),
        "rss_after_warmup_mb": warm.rss_mb,
        "peak_rss_mb": final.hwm_mb,
        "levels": {str(r["concurrency"]): r for r in results},
    }


def _level(
    base_url: str,
    spec: ServerSpec,
    pid: int,
    images_dir: Path,
    workdir: Path,
    concurrency: int,
    *,
    duration: float,
    warmup: float,
) -> dict[str, Any]:
    """One concurrency level: the load generator's figures plus the server's CPU and memory."""
    out = workdir / f"{spec.name}-c{concurrency}.json"
    batch_before = _batch_totals(base_url)
    before, started = snapshot(pid), time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "bench.loadgen",
            "--url", f"{base_url}{spec.predict_path}",
            "--images", str(images_dir),
            "--concurrency", str(concurrency),
            "--duration", str(duration),
            "--warmup", str(warmup),
            "--out", str(out),
        ],
        cwd=REPO,
        check=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = snapshot(pid)
    result: dict[str, Any] = json.loads(out.read_text())
    cpu = after.cpu_s - before.cpu_s
    result["server_cpu_cores"] = round(cpu / wall, 3)
    result["server_cpu_ms_per_request"] = round(cpu / max(1, result["completed_total"]) * 1000, 2)
    result["server_peak_rss_mb"] = after.hwm_mb
    result["server_rss_mb"] = after.rss_mb
    batch_after = _batch_totals(base_url)
    batches = batch_after[1] - batch_before[1]
    if batches > 0:
        result["mean_batch_size"] = round((batch_after[0] - batch_before[0]) / batches, 2)
    return result
