"""The servers compared, each started as one worker process and driven by the load generator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.inputs import REPO, Triplet
from bench.processes import free_port, launch, tail, wait_status
from bench.procstats import TreeStats, snapshot
from bench.stats import summarize_ms

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


def face_recognition_spec() -> ServerSpec:
    """The face_recognition library's way: dlib-bin per request (bench/face_recognition_app.py)."""
    command = (sys.executable, "-m", "bench.face_recognition_app")
    label = "face_recognition way (dlib-bin HOG + 5 points + descriptor, 1 worker)"
    return ServerSpec("face_recognition", label, command, dict(os.environ))


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


@dataclass(frozen=True)
class Started:
    """A server that answered its first request."""

    spec: ServerSpec
    base_url: str
    pid: int
    ready_s: float
    answer: dict[str, Any]
    warm: TreeStats


def start_server(spec: ServerSpec, triplet: Triplet, workdir: Path, stack: ExitStack) -> Started:
    """Start the server (stopped when `stack` closes), wait for readiness, check one answer."""
    port = free_port()
    command, env = _command_with_port(spec, port)
    log = workdir / f"{spec.name}.log"
    server = stack.enter_context(launch(command, env=env, port=port, log=log))
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
    return Started(
        spec, server.base_url, server.proc.pid, ready_s, answer.json(), snapshot(server.proc.pid)
    )


def measure_level(
    server: Started,
    images_dir: Path,
    workdir: Path,
    concurrency: int,
    *,
    duration: float,
    warmup: float,
    tag: str = "",
) -> dict[str, Any]:
    """One concurrency level: the load generator's figures plus the server's CPU and memory."""
    out = workdir / f"{server.spec.name}-c{concurrency}{tag}.json"
    batch_before = _batch_totals(server.base_url)
    before, started = snapshot(server.pid), time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "bench.loadgen",
            "--url", f"{server.base_url}{server.spec.predict_path}",
            "--images", str(images_dir),
            "--concurrency", str(concurrency),
            "--duration", str(duration),
            "--warmup", str(warmup),
            "--out", str(out),
        ],
        cwd=REPO,
        check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.read_text())
    after = snapshot(server.pid)
    batch_after = _batch_totals(server.base_url)
    result["server_cpu_s"] = after.cpu_s - before.cpu_s
    result["wall_s"] = time.perf_counter() - started
    result["server_peak_rss_mb"] = after.hwm_mb
    result["server_rss_mb"] = after.rss_mb
    result["batch_sum"] = batch_after[0] - batch_before[0]
    result["batch_count"] = batch_after[1] - batch_before[1]
    return result


def merge_levels(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Slices of one level measured in several rounds, as one level."""
    latencies = [v for part in parts for v in part["latencies_ms"]]
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part["errors"])
    duration = sum(p["duration_s"] for p in parts)
    cpu, wall = sum(p["server_cpu_s"] for p in parts), sum(p["wall_s"] for p in parts)
    completed = sum(p["completed_total"] for p in parts)
    batches = sum(p["batch_count"] for p in parts)
    merged: dict[str, Any] = {
        "concurrency": parts[0]["concurrency"],
        "rounds": len(parts),
        "duration_s": duration,
        "warmup_s": [p["warmup_s"] for p in parts],
        "ok": len(latencies),
        "errors": dict(errors),
        "error_count": sum(errors.values()),
        "completed_total": completed,
        "throughput_rps": round(len(latencies) / duration, 3),
        "throughput_rps_per_round": [p["throughput_rps"] for p in parts],
        **summarize_ms([v / 1000.0 for v in latencies]),
        "server_cpu_s": round(cpu, 3),
        "server_cpu_cores": round(cpu / wall, 3),
        "server_cpu_ms_per_request": round(cpu / max(1, completed) * 1000, 2),
        "server_peak_rss_mb": max(p["server_peak_rss_mb"] for p in parts),
        "server_rss_mb": parts[-1]["server_rss_mb"],
        "loadgen_cpu_s": round(sum(p["loadgen_cpu_s"] for p in parts), 3),
        "sample_response": parts[0]["sample_response"],
        "latencies_ms": latencies,
    }
    if batches > 0:
        merged["mean_batch_size"] = round(sum(p["batch_sum"] for p in parts) / batches, 2)
    return merged


def summarize_server(server: Started, levels: dict[str, Any], final: TreeStats) -> dict[str, Any]:
    """A server's start, answer, memory and merged levels."""
    scores = server.answer.get("scores", {})
    return {
        "label": server.spec.label,
        "ready_s": round(server.ready_s, 3),
        "processes": len(server.warm.pids),
        "distances": [
            scores.get("img1", {}).get("distance"),
            scores.get("img2", {}).get("distance"),
        ],
        "most_similar": server.answer.get("most_similar"),
        "rss_after_warmup_mb": server.warm.rss_mb,
        "peak_rss_mb": final.hwm_mb,
        "levels": levels,
    }
