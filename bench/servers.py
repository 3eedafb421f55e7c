"""The servers compared, each started as one worker process and driven by the load generator."""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import Payload, Run, run_level
from bench.procstats import TreeStats, snapshot
from bench.results import Level, Server
from bench.stats import summarize_ms
from devstack.processes import free_port, running
from devstack.servers import SERVICE_COMMAND, service_env
from service.paths import REPO_ROOT

BATCH = re.compile(r"^facesim_inference_batch_size_(sum|count)\s+([0-9.eE+-]+)$", re.M)


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server (its command takes `--port N`, except ours, which reads PORT)."""

    name: str  # unique in a run: it names the server's log
    label: str
    command: tuple[str, ...]
    env: dict[str, str] = field(repr=False, default_factory=lambda: dict(os.environ))
    ours: bool = False


def service_spec(
    name: str, label: str, model: Path, cache: Path, extra_env: dict[str, str]
) -> ServerSpec:
    """Our service on this model, started with its one server command, with its default settings."""
    env = service_env(MODEL_URI=str(model), MODEL_CACHE_DIR=str(cache), **extra_env)
    return ServerSpec(name, label, SERVICE_COMMAND, env, ours=True)


def facesim_spec(model: Path, cache: Path, extra_env: dict[str, str]) -> ServerSpec:
    """Our service on the face model."""
    return service_spec("facesim", "facesim (this service)", model, cache, extra_env)


def peer_specs(model: Path) -> list[ServerSpec]:
    """FastAPI + model.predict per request, and the face_recognition library's way (dlib-bin)."""
    naive = (sys.executable, "-m", "bench.naive_app", "--model", str(model))
    label = "face_recognition way (dlib-bin HOG + 5 points + descriptor, 1 worker)"
    return [
        ServerSpec("naive", "naive FastAPI + predict()", naive),
        ServerSpec("face_recognition", label, (sys.executable, "-m", "bench.face_recognition_app")),
    ]


def bentoml_spec(model: Path, bentoml: Path, home: Path) -> ServerSpec:
    """BentoML serving bench/bentoml_service.py from its own venv."""
    env = {**os.environ, "FACESIM_BENCH_MODEL": str(model), "BENTOML_HOME": str(home),
           "BENTOML_DO_NOT_TRACK": "True", "PYTHONPATH": str(REPO_ROOT)}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    command = (str(bentoml), "serve", "bench.bentoml_service:FaceSimBento", "--host", "127.0.0.1")
    return ServerSpec("bentoml", "BentoML 1.4 (1 worker)", command, env)


@dataclass(frozen=True)
class Started:
    """A server that answered its first request."""

    spec: ServerSpec
    base_url: str
    pid: int
    ready_s: float
    answers: list[dict[str, Any]]  # one per payload, in order
    warm: TreeStats

    @property
    def answer(self) -> dict[str, Any]:
        """The answer to the first payload."""
        return self.answers[0]


def start_server(
    spec: ServerSpec, payloads: Sequence[Payload], workdir: Path, stack: ExitStack
) -> Started:
    """Start the server (stopped when `stack` closes), wait for readiness, check every answer."""
    port = free_port()
    command = list(spec.command) if spec.ours else [*spec.command, "--port", str(port)]
    env = {**spec.env, "PORT": str(port)} if spec.ours else spec.env
    base_url, started = f"http://127.0.0.1:{port}", time.perf_counter()
    log = workdir / f"{spec.name}.log"
    try:
        proc = stack.enter_context(
            running(spec.name, command, log_path=log, env=env, cwd=REPO_ROOT,
                    ready_url=f"{base_url}/readyz", timeout=300)
        )  # fmt: skip
    except (RuntimeError, TimeoutError) as exc:
        raise RuntimeError(f"{spec.name} did not become ready: {exc}") from exc
    ready_s = time.perf_counter() - started
    answers = []
    for payload in payloads:
        answer = httpx.post(
            f"{base_url}/predict",
            content=payload.body,
            headers={"Content-Type": payload.content_type},
            timeout=60,
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{spec.name} answered {answer.status_code}: {answer.text[:300]}")
        answers.append(answer.json())
    return Started(spec, base_url, proc.pid, ready_s, answers, snapshot(proc.pid))


@dataclass
class Slice:
    """One level on one server in one round: the generator's run and the server's resources."""

    run: Run
    server_cpu_s: float
    wall_s: float
    server_peak_rss_mb: float
    server_rss_mb: float
    batch_sum: float
    batch_count: float


def _batch_totals(base_url: str) -> tuple[float, float]:
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
    batch_before, before, started = (
        _batch_totals(server.base_url),
        snapshot(server.pid),
        time.perf_counter(),
    )
    run = run_level(f"{server.base_url}/predict", payloads,
                    concurrency=concurrency, duration=duration, warmup=warmup)  # fmt: skip
    after, batch_after = snapshot(server.pid), _batch_totals(server.base_url)
    return Slice(
        run, after.cpu_s - before.cpu_s, time.perf_counter() - started, after.hwm_mb, after.rss_mb,
        batch_after[0] - batch_before[0], batch_after[1] - batch_before[1],
    )  # fmt: skip


def merge_levels(parts: list[Slice]) -> Level:
    """Slices of one level measured in several rounds, as one level."""
    latencies = [v for part in parts for v in part.run.latencies_ms]
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part.run.errors)
    duration = sum(p.run.duration_s for p in parts)
    cpu, wall = sum(p.server_cpu_s for p in parts), sum(p.wall_s for p in parts)
    completed = sum(p.run.completed_total for p in parts)
    batches = sum(p.batch_count for p in parts)
    return Level(
        concurrency=parts[0].run.concurrency,
        rounds=len(parts),
        duration_s=duration,
        warmup_s=[p.run.warmup_s for p in parts],
        ok=len(latencies),
        errors=dict(errors),
        error_count=sum(errors.values()),
        completed_total=completed,
        throughput_rps=round(len(latencies) / duration, 3),
        throughput_rps_per_round=[
            round(len(p.run.latencies_ms) / p.run.duration_s, 3) for p in parts
        ],
        **summarize_ms(latencies),
        server_cpu_s=round(cpu, 3),
        server_cpu_cores=round(cpu / wall, 3),
        server_cpu_ms_per_request=round(cpu / max(1, completed) * 1000, 2),
        server_peak_rss_mb=max(p.server_peak_rss_mb for p in parts),
        server_rss_mb=parts[-1].server_rss_mb,
        loadgen_cpu_s=round(sum(p.run.loadgen_cpu_s for p in parts), 3),
        sample_response=parts[0].run.sample_response,
        latencies_ms=latencies,
        mean_batch_size=round(sum(p.batch_sum for p in parts) / batches, 2)
        if batches > 0
        else None,
    )


def summarize_server(server: Started, levels: dict[str, Level], final: TreeStats) -> Server:
    """A server's start, answer, memory and merged levels."""
    scores = server.answer.get("scores", {})
    return Server(
        label=server.spec.label,
        ready_s=round(server.ready_s, 3),
        processes=len(server.warm.pids),
        distances=[scores.get(k, {}).get("distance") for k in ("img1", "img2")],
        most_similar=server.answer.get("most_similar"),
        rss_after_warmup_mb=server.warm.rss_mb,
        peak_rss_mb=final.hwm_mb,
        levels=levels,
    )


def slice_figures(part: Slice) -> dict[str, Any]:
    """A single slice's headline figures (the A/B runs keep one per repeat)."""
    level = asdict(merge_levels([part]))
    return {
        k: level[k]
        for k in (
            "p50_ms",
            "p99_ms",
            "throughput_rps",
            "server_cpu_ms_per_request",
            "mean_batch_size",
        )
    }
