"""One benchmark run: the limit, the servers in interleaved rounds, start-up; JSON and tables."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import procstats, tables
from bench.bentoml_env import BENTOML, BentoUnavailable, ensure_bentoml
from bench.figures import TARGETS, derived, headline, verdicts
from bench.inputs import Triplet, load_triplet
from bench.results import InProcess, Results, Server, Stages, load, save
from bench.servers import (
    ServerSpec,
    Slice,
    bentoml_spec,
    facesim_spec,
    measure_level,
    merge_levels,
    peer_specs,
    start_server,
    summarize_server,
)
from bench.startup import measure_startup
from bench.stats import merge_timings
from bench.tuning import read_tuning
from service.paths import REPO_ROOT, repo_relative

DOCS = REPO_ROOT / "docs"
REPORTS = REPO_ROOT / "reports" / "bench"


@dataclass(frozen=True)
class BenchConfig:
    """What one run measures and for how long."""

    model: Path
    levels: tuple[int, ...] = (1, 4, 16, 64)
    duration_s: float = 15.0
    warmup_s: float = 2.0
    inprocess_s: float = 8.0
    startup_runs: int = 3
    rounds: int = 5  # levels are measured in this many interleaved slices per server
    bentoml: bool = True
    allow_fallback_images: bool = False
    service_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = REPO_ROOT / ".cache" / "bench" / "run"
    out_json: Path = REPORTS / "latest.json"
    out_md: Path | None = DOCS / "BENCHMARKS.md"
    command: str = "make bench"


def run_inprocess(config: BenchConfig, images_dir: Path, tag: str) -> InProcess:
    """The limit, in its own process so its TensorFlow threads match a server's."""
    out = config.workdir / f"inprocess{tag}.json"
    subprocess.run(
        [sys.executable, "-m", "bench.inprocess", "--model", str(config.model), "--images", str(images_dir),
         "--seconds", str(config.inprocess_s / config.rounds), "--out", str(out)],
        cwd=REPO_ROOT, check=True,
    )  # fmt: skip
    result: InProcess = load(out, InProcess)
    return result


def merge_inprocess(parts: list[InProcess]) -> InProcess:
    """The in-process rounds as one set of figures (a figure a model does not have stays None)."""
    first, stages = parts[0], [p.stages for p in parts if p.stages]
    pauses = [p.gc_pause_ms for p in parts if p.gc_pause_ms]
    timings = {
        key: merge_timings([getattr(p, key) for p in parts]) if getattr(first, key) else None
        for key in ("forward_b1", "pipeline", "pipeline_sequential", "predict_b1", "detect_3",
                    "detect_3_single_pass", "dlib_descriptor_3")
    }  # fmt: skip
    mean_stages = Stages(
        {k: round(sum(s.cpu_ms[k] for s in stages) / len(stages), 2) for k in stages[0].cpu_ms},
        stages[0].images_reaching_pass,
    ) if stages else None  # fmt: skip
    median_pause = (
        {k: round(sorted(p[k] for p in pauses)[len(pauses) // 2], 2) for k in pauses[0]}
        if pauses
        else None
    )
    return InProcess(**timings, stages=mean_stages, gc_pause_ms=median_pause,  # type: ignore[arg-type]
                     distances=first.distances, tf_threads=first.tf_threads)  # fmt: skip


def measure_all(
    config: BenchConfig, specs: list[ServerSpec], triplet: Triplet, images_dir: Path
) -> tuple[InProcess, dict[str, Server], dict[str, str]]:
    """Every server started once; in each round, the limit, then each level on each server in turn.

    Interleaving spreads whatever else runs on the machine over all servers alike.
    """
    failed: dict[str, str] = {}
    inprocess: list[InProcess] = []
    parts: dict[tuple[str, int], list[Slice]] = defaultdict(list)
    with ExitStack() as stack:
        started = {}
        for spec in specs:
            print(f"bench: starting {spec.label}", flush=True)
            try:
                started[spec.name] = start_server(spec, triplet, config.workdir, stack)
            except RuntimeError as exc:
                if spec.name == "facesim":
                    raise
                failed[spec.name] = f"failed to start: {exc}"[:1000]
        for round_ in range(config.rounds):
            print(f"bench: round {round_ + 1}/{config.rounds}: in-process limit", flush=True)
            inprocess.append(run_inprocess(config, images_dir, f"-r{round_}"))
            for concurrency in config.levels:
                print(f"bench: round {round_ + 1}: concurrency {concurrency}", flush=True)
                for name, server in started.items():
                    parts[name, concurrency].append(measure_level(
                        server, triplet, concurrency, duration=config.duration_s / config.rounds,
                        warmup=config.warmup_s,
                    ))  # fmt: skip
        finals = {name: procstats.snapshot(server.pid) for name, server in started.items()}
    servers = {
        name: summarize_server(
            server, {str(c): merge_levels(parts[name, c]) for c in config.levels}, finals[name]
        )
        for name, server in started.items()
    }
    return merge_inprocess(inprocess), servers, failed


def server_specs(config: BenchConfig, skipped: dict[str, str]) -> list[ServerSpec]:
    """facesim, the naive peer, the face_recognition way and (when it can be installed) BentoML."""
    specs = [
        facesim_spec(config.model, config.workdir / "model-cache", config.service_env),
        *peer_specs(config.model),
    ]
    if not config.bentoml:
        skipped["bentoml"] = "skipped on request (--no-bentoml)"
        return specs
    try:
        executable = ensure_bentoml(log=config.workdir / "bentoml-install.log")
    except BentoUnavailable as exc:
        skipped["bentoml"] = f"cannot install {BENTOML} here: {exc}"
        return specs
    return [*specs, bentoml_spec(config.model, executable, config.workdir / "bentoml-home")]


def run(config: BenchConfig) -> Results:
    """Measure everything once and write the results."""
    started = time.perf_counter()
    shutil.rmtree(config.workdir, ignore_errors=True)
    config.workdir.mkdir(parents=True)
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    machine = procstats.machine_info()
    triplet = load_triplet(allow_fallback=config.allow_fallback_images)
    images_dir = triplet.write(config.workdir / "images")
    skipped: dict[str, str] = {}
    inprocess, servers, failed = measure_all(
        config, server_specs(config, skipped), triplet, images_dir
    )
    print(f"bench: start-up from S3 (moto), {config.startup_runs} run(s)", flush=True)
    startup = measure_startup(config.model, runs=config.startup_runs, workdir=config.workdir)
    machine |= {
        "load_average_at_end": procstats.load_average(),
        "training_running_at_end": procstats.busy_processes(),
        "other_cpu_users_at_end": procstats.cpu_hogs(),
    }
    figures = headline(inprocess, servers, startup)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()}
    results = Results(
        **figures,
        targets=verdicts(figures),
        generated_at=generated_at,
        command=config.command,
        config={k: v for k, v in settings.items() if k not in ("workdir", "out_json", "out_md")}
        | {"model": repo_relative(config.model)},
        machine=machine,
        model={"path": repo_relative(config.model), "manifest": _manifest(config.model)},
        inputs=triplet.source,
        skipped=skipped | failed,
        inprocess=inprocess,
        servers=servers,
        startup=startup,
        tuning=read_tuning(config.out_json.parent / "tuning.json"),
        wall_seconds=round(time.perf_counter() - started, 1),
        derived=derived(inprocess, servers, machine["cpu_count"] or 1),
        history=[],
    )
    results.history = append_history(config.out_json.parent / "history.json", results)
    save(config.out_json, results)
    if config.out_md is not None:
        tables.update(config.out_md, results)
    return results


def append_history(path: Path, results: Results) -> list[dict[str, Any]]:
    """Add this run's headline figures to the runs before it (run-to-run variation is a figure too)."""
    history: list[dict[str, Any]] = json.loads(path.read_text()) if path.is_file() else []
    history.append(
        {
            "generated_at": results.generated_at,
            "config": {k: results.config[k] for k in ("levels", "duration_s", "rounds")},
            "load_average_at_start": results.machine["load_average_at_start"],
            **{k: getattr(results, k) for k in TARGETS},
        }
    )
    path.write_text(json.dumps(history, indent=2) + "\n")
    return history


def _manifest(model: Path) -> dict[str, Any]:
    """The model's manifest, without bulky training details."""
    try:
        data: dict[str, Any] = json.loads(model.with_suffix(".json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return {
        k: data[k] for k in ("name", "version", "sha256", "input_shape", "threshold") if k in data
    }
