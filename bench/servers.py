"""The servers compared: how each starts (one worker process), and one level measured on it."""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.figures import summarize_ms
from bench.loadgen import Payload, Tally, run_level
from bench.procstats import TreeStats, snapshot
from bench.results import Level
from devstack.processes import free_port, running
from devstack.servers import SERVICE_COMMAND, service_env
from service.paths import REPO_ROOT

BATCH = re.compile(r"^facesim_inference_batch_size_(sum|count)\s+([0-9.eE+-]+)$", re.M)
NAIVE_LABEL = "naive FastAPI + predict()"


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server (its command takes `--port N`, except ours, which reads PORT)."""

    name: str  # unique in a run: it names the server's log
    label: str
    command: tuple[str, ...]
    env: dict[str, str] = field(repr=False, default_factory=lambda: dict(os.environ))
    ours: bool = False


def service_spec(
    name: str, label: str, model: Path, cache: Path, env: dict[str, str]
) -> ServerSpec:
    """Our service on this model, started with its one server command and these extra settings."""
    settings = service_env(MODEL_URI=str(model), MODEL_CACHE_DIR=str(cache), **env)
    return ServerSpec(name, label, SERVICE_COMMAND, settings, ours=True)


def naive_spec(name: str, model: Path) -> ServerSpec:
    """FastAPI + `model.predict` per request, on any kind's model."""
    command = (sys.executable, "-m", "bench.peers", "naive", "--model", str(model))
    return ServerSpec(name, NAIVE_LABEL, command)


def face_specs(
    model: Path, workdir: Path, env: dict[str, str], bentoml: Path | None
) -> list[ServerSpec]:
    """Our service, the naive peer, the face_recognition way and (given its executable) BentoML."""
    label = "face_recognition way (dlib-bin HOG + 5 points + descriptor, 1 worker)"
    specs = [
        service_spec("facesim", "facesim (this service)", model, workdir / "model-cache", env),
        naive_spec("naive", model),
        ServerSpec(
            "face_recognition", label, (sys.executable, "-m", "bench.peers", "face_recognition")
        ),
    ]
    if bentoml is None:
        return specs
    bento_env = {**os.environ, "FACESIM_BENCH_MODEL": str(model), "PYTHONPATH": str(REPO_ROOT),
                 "BENTOML_HOME": str(workdir / "bentoml-home"), "BENTOML_DO_NOT_TRACK": "True"}  # fmt: skip
    bento_env.pop("VIRTUAL_ENV", None)
    command = (str(bentoml), "serve", "bench.bentoml_service:FaceSimBento", "--host", "127.0.0.1")
    return [*specs, ServerSpec("bentoml", "BentoML 1.4 (1 worker)", command, bento_env)]


@dataclass(frozen=True)
class Started:
    """A server that answered every payload once: its answers, in order, and its memory then."""

    spec: ServerSpec
    base_url: str
    pid: int
    ready_s: float
    answers: list[dict[str, Any]]
    warm: TreeStats


def start_server(
    spec: ServerSpec, payloads: Sequence[Payload], workdir: Path, stack: ExitStack
) -> Started:
    """Start the server (stopped when `stack` closes), wait for readiness, check every answer."""
    port = free_port()
    command = list(spec.command) if spec.ours else [*spec.command, "--port", str(port)]
    base_url, started = f"http://127.0.0.1:{port}", time.perf_counter()
    try:
        proc = stack.enter_context(
            running(spec.name, command, log_path=workdir / f"{spec.name}.log", cwd=REPO_ROOT,
                    env={**spec.env, "PORT": str(port)}, ready_url=f"{base_url}/readyz", timeout=300)
        )  # fmt: skip
    except (RuntimeError, TimeoutError) as exc:
        raise RuntimeError(f"{spec.name} did not become ready: {exc}") from exc
    ready_s, answers = time.perf_counter() - started, []
    for payload in payloads:
        headers = {"Content-Type": payload.content_type}
        answer = httpx.post(
            f"{base_url}/predict", content=payload.body, headers=headers, timeout=60
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{spec.name} answered {answer.status_code}: {answer.text[:300]}")
        answers.append(answer.json())
    return Started(spec, base_url, proc.pid, ready_s, answers, snapshot(proc.pid))


@dataclass
class Slice:
    """One level on one server in one round: the generator's tally and the server's resources."""

    tally: Tally
    server_cpu_s: float
    wall_s: float
    server_peak_rss_mb: float
    server_rss_mb: float
    batch_sum: float
    batch_count: float


def batch_totals(base_url: str) -> tuple[float, float]:
    """(sum, count) of the service's batch-size histogram; zeros for servers without it."""
    try:
        found = dict(BATCH.findall(httpx.get(f"{base_url}/metrics", timeout=5).text))
    except httpx.HTTPError:
        return 0.0, 0.0
    return float(found.get("sum", 0)), float(found.get("count", 0))


def measure_level(
    server: Started,
    payloads: Sequence[Payload],
    concurrency: int,
    *,
    duration: float,
    warmup: float,
) -> Slice:
    """One concurrency level: the load generator's figures plus the server's CPU and memory."""
    (sum0, count0), before = batch_totals(server.base_url), snapshot(server.pid)
    started = time.perf_counter()
    run = run_level(f"{server.base_url}/predict", payloads,
                    concurrency=concurrency, duration=duration, warmup=warmup)  # fmt: skip
    after, (sum1, count1) = snapshot(server.pid), batch_totals(server.base_url)
    wall = time.perf_counter() - started
    cpu, batches = after.cpu_s - before.cpu_s, (sum1 - sum0, count1 - count0)
    return Slice(run, cpu, wall, after.hwm_mb, after.rss_mb, *batches)


def merge_levels(parts: list[Slice]) -> Level:
    """Slices of one level measured in several rounds, as one level."""
    tallies, measured = [p.tally for p in parts], [p.tally.measured() for p in parts]
    latencies = [v for found, _ in measured for v in found]
    errors = sum((found for _, found in measured), Counter[str]())
    duration, completed = sum(t.duration for t in tallies), sum(len(t.events) for t in tallies)
    cpu, batches = sum(p.server_cpu_s for p in parts), sum(p.batch_count for p in parts)
    return Level(
        concurrency=tallies[0].concurrency,
        rounds=len(parts),
        duration_s=duration,
        warmup_s=[round(t.window()[0] - t.begin, 3) for t in tallies],
        ok=len(latencies),
        errors=dict(errors),
        error_count=sum(errors.values()),
        completed_total=completed,
        throughput_rps=round(len(latencies) / duration, 3),
        throughput_rps_per_round=[
            round(len(m[0]) / t.duration, 3) for m, t in zip(measured, tallies, strict=True)
        ],
        **summarize_ms(latencies),
        server_cpu_s=round(cpu, 3),
        server_cpu_cores=round(cpu / sum(p.wall_s for p in parts), 3),
        server_cpu_ms_per_request=round(cpu / max(1, completed) * 1000, 2),
        server_peak_rss_mb=max(p.server_peak_rss_mb for p in parts),
        server_rss_mb=parts[-1].server_rss_mb,
        loadgen_cpu_s=round(sum(t.cpu_s for t in tallies), 3),
        sample_response=tallies[0].sample,
        latencies_ms=latencies,
        mean_batch_size=round(sum(p.batch_sum for p in parts) / batches, 2) if batches else None,
    )
