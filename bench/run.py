"""One benchmark run: the limit, the servers in interleaved rounds, start-up; JSON and tables."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import procstats, tables
from bench.bentoml_env import BENTOML, BentoUnavailable, ensure_bentoml
from bench.figures import TARGETS, derived, headline, verdicts
from bench.inputs import Triplet, load_triplet
from bench.kinds import (
    KIND_LEVELS,
    KIND_MODELS,
    KindWorkload,
    kind_contestants,
    kind_ratios,
    kind_results,
    kind_workloads,
)
from bench.results import (
    LATEST,
    InProcess,
    KindsRun,
    Results,
    Stages,
    load,
    save,
)
from bench.rounds import Contestant, Measured, Schedule, measure_rounds
from bench.servers import ServerSpec, bentoml_spec, facesim_spec, peer_specs, summarize_server
from bench.startup import measure_startup
from bench.stats import merge_timings
from bench.tuning import read_tuning
from service.paths import REPO_ROOT, repo_relative

FACE_SERVERS = ("facesim", "naive", "face_recognition", "bentoml")


@dataclass(frozen=True)
class BenchConfig:
    """What one run measures and for how long."""

    model: Path
    levels: tuple[int, ...] = (1, 4, 16, 64)
    kind_models: dict[str, Path] = field(default_factory=lambda: dict(KIND_MODELS))
    kind_levels: tuple[int, ...] = KIND_LEVELS
    duration_s: float = 15.0
    warmup_s: float = 2.0
    inprocess_s: float = 8.0
    startup_runs: int = 3
    rounds: int = 5  # levels are measured in this many interleaved slices per server
    bentoml: bool = True
    allow_fallback_images: bool = False
    service_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = REPO_ROOT / ".cache" / "bench" / "run"
    out_json: Path = LATEST
    out_md: Path | None = REPO_ROOT / "docs" / "BENCHMARKS.md"
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


def schedule(config: BenchConfig) -> Schedule:
    """How long each slice of the run lasts."""
    return Schedule(config.rounds, config.duration_s, config.warmup_s)


def measure_all(
    config: BenchConfig,
    specs: list[ServerSpec],
    triplet: Triplet,
    kinds: list[Contestant],
    images_dir: Path,
) -> tuple[InProcess, dict[str, Measured], dict[str, str]]:
    """The face servers and the kinds' servers in the same interleaved rounds, each round after
    the in-process limit."""
    inprocess: list[InProcess] = []

    def limit(round_: int) -> None:
        print(f"bench: round {round_ + 1}/{config.rounds}: in-process limit", flush=True)
        inprocess.append(run_inprocess(config, images_dir, f"-r{round_}"))

    face = [
        Contestant(spec, [triplet.multipart()], config.levels, required=spec.name == "facesim")
        for spec in specs
    ]
    measured, failed = measure_rounds(
        [*face, *kinds], schedule(config), config.workdir, before_round=limit
    )
    return merge_inprocess(inprocess), measured, failed


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


@dataclass
class Start:
    """What a run knows before it measures: when it began, the machine, the kinds' workloads."""

    clock: float
    generated_at: str
    machine: dict[str, Any]
    skipped: dict[str, str]
    workloads: list[KindWorkload]

    def seconds(self) -> float:
        """Wall time since the start."""
        return round(time.perf_counter() - self.clock, 1)


def begin(config: BenchConfig) -> Start:
    """An empty work folder, the machine as it is now, and the kinds whose models are here."""
    clock = time.perf_counter()
    shutil.rmtree(config.workdir, ignore_errors=True)
    config.workdir.mkdir(parents=True)
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    skipped: dict[str, str] = {}
    workloads = kind_workloads(
        config.kind_models, allow_fallback=config.allow_fallback_images, skipped=skipped
    )
    return Start(clock, generated_at, procstats.machine_info(), skipped, workloads)


def machine_at_end() -> dict[str, Any]:
    """The load the run ended under."""
    return {
        "load_average_at_end": procstats.load_average(),
        "training_running_at_end": procstats.busy_processes(),
        "other_cpu_users_at_end": procstats.cpu_hogs(),
    }


def run(config: BenchConfig) -> Results:
    """Measure everything once and write the results."""
    start = begin(config)
    machine, skipped, workloads = start.machine, start.skipped, start.workloads
    triplet = load_triplet(allow_fallback=config.allow_fallback_images)
    images_dir = triplet.write(config.workdir / "images")
    inprocess, measured, failed = measure_all(
        config, server_specs(config, skipped), triplet, kind_stage(config, workloads), images_dir
    )
    servers = {
        name: summarize_server(m.started, m.levels, m.final)
        for name, m in measured.items()
        if name in FACE_SERVERS
    }
    kinds = kind_results(workloads, measured, failed, skipped)
    print(f"bench: start-up from S3 (moto), {config.startup_runs} run(s)", flush=True)
    startup = measure_startup(config.model, runs=config.startup_runs, workdir=config.workdir)
    machine |= machine_at_end()
    figures = headline(inprocess, servers, startup) | kind_ratios(kinds)
    results = Results(
        **figures,
        targets=verdicts(figures),
        generated_at=start.generated_at,
        command=config.command,
        config=settings(config),
        machine=machine,
        model={"path": repo_relative(config.model), "manifest": _manifest(config.model)},
        inputs=triplet.source,
        skipped=skipped | {k: v for k, v in failed.items() if k in FACE_SERVERS},
        inprocess=inprocess,
        servers=servers,
        kinds=kinds,
        startup=startup,
        tuning=read_tuning(config.out_json.parent / "tuning.json"),
        wall_seconds=start.seconds(),
        derived=derived(inprocess, servers, machine["cpu_count"] or 1),
        history=[],
    )
    results.history = append_history(config.out_json.parent / "history.json", results)
    save(config.out_json, results)
    if config.out_md is not None:
        tables.update(config.out_md, results)
    return results


def kind_stage(config: BenchConfig, workloads: list[KindWorkload]) -> list[Contestant]:
    """Our service and the naive peer on each kind's model, with the run's service settings."""
    return kind_contestants(
        workloads, config.kind_levels, config.workdir / "model-cache", config.service_env
    )


def run_kinds_only(config: BenchConfig) -> KindsRun:
    """The classifier kinds alone (no face servers, limit or start-up); written to out_json."""
    start = begin(config)
    measured, failed = measure_rounds(
        kind_stage(config, start.workloads), schedule(config), config.workdir
    )
    kinds = kind_results(start.workloads, measured, failed, start.skipped)
    results = KindsRun(
        **kind_ratios(kinds),
        generated_at=start.generated_at,
        command=config.command,
        config=settings(config),
        machine=start.machine | machine_at_end(),
        skipped=start.skipped,
        kinds=kinds,
        wall_seconds=start.seconds(),
    )
    save(config.out_json, results)
    return results


def settings(config: BenchConfig) -> dict[str, Any]:
    """The run's configuration as JSON, paths relative to the repository."""
    found = asdict(config)
    for name in ("workdir", "out_json", "out_md"):
        del found[name]
    found["model"] = repo_relative(config.model)
    found["kind_models"] = {k: repo_relative(v) for k, v in config.kind_models.items()}
    return found


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
