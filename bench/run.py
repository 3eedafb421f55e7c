"""One benchmark run: the limit, the servers in interleaved rounds, start-up; JSON, tables, plot."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import plot, procstats, tables
from bench.bentoml_env import bentoml_executable
from bench.figures import (
    TARGETS,
    derived,
    headline,
    kind_ratios,
    merge_timings,
    verdicts,
    workload_figures,
)
from bench.inprocess import measure as measure_limit
from bench.kinds import (
    KIND_LEVELS,
    KIND_MODELS,
    kind_contestants,
    kind_results,
    kind_workloads,
    manifest_keys,
)
from bench.photos import Triplet, load_triplet, phone_triplet
from bench.results import LATEST, InProcess, Results, Server, Stages, Timing, save
from bench.rounds import Contestant, log, measure_rounds
from bench.servers import ServerSpec, face_specs
from bench.startup import measure_startup
from bench.tuning import read_tuning
from service.paths import REPO_ROOT, repo_relative

FACE_SERVERS = ("facesim", "naive", "face_recognition", "bentoml")
PHONE = "_phone"  # a face server sent the phone photos is named NAME_phone


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
    phone: bool = True  # the same faces as 12 MP phone photos (bench/photos.py) too
    # The peers that take seconds per phone request (one worker: as fast at one client as at 16)
    # are measured at one client, long enough for each slice to hold answers.
    phone_peer_levels: tuple[int, ...] = (1,)
    phone_peer_duration_s: float = 60.0
    service_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = REPO_ROOT / ".cache" / "bench" / "run"
    out_json: Path = LATEST
    out_md: Path | None = REPO_ROOT / "docs" / "BENCHMARKS.md"
    command: str = "make bench"

    def settings(self) -> dict[str, Any]:
        """The configuration as JSON, paths relative to the repository."""
        found = {
            k: v for k, v in asdict(self).items() if k not in ("workdir", "out_json", "out_md")
        }
        found["kind_models"] = {k: repo_relative(v) for k, v in self.kind_models.items()}
        return found | {"model": repo_relative(self.model)}


def run_inprocess(
    config: BenchConfig, small: Triplet, phone: Triplet | None, round_: int
) -> InProcess:
    """The limit, in a fresh process of its own so that its TensorFlow threads match a server's."""
    log(f"round {round_ + 1}/{config.rounds}: in-process limit")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        seconds, photos = config.inprocess_s / config.rounds, phone.images if phone else None
        return pool.submit(measure_limit, config.model, small.images, seconds, photos).result()


def face_contestants(
    config: BenchConfig, specs: list[ServerSpec], small: Triplet, phone: Triplet | None
) -> list[Contestant]:
    """Each face server on the small photos and, given them, on the phone photos (its own process)."""
    found = [Contestant(spec, [small.multipart()], config.levels) for spec in specs]
    if phone is None:
        return found
    for spec in specs:
        renamed, payloads = replace(spec, name=spec.name + PHONE), [phone.multipart()]
        if spec.ours or spec.name == "bentoml":
            found.append(Contestant(renamed, payloads, config.levels))
        else:
            slow = (config.phone_peer_levels, config.phone_peer_duration_s)
            found.append(Contestant(renamed, payloads, *slow))
    return found


def merge_inprocess(parts: list[InProcess]) -> InProcess:
    """The in-process rounds as one set of figures (a figure a model does not have stays None)."""
    first, merged = parts[0], dict[str, Any]()
    for f in fields(InProcess):
        found = [getattr(p, f.name) for p in parts]
        if all(isinstance(v, Timing) for v in found):
            merged[f.name] = merge_timings(found)
        elif all(isinstance(v, Stages) for v in found):
            cpu = {
                k: round(sum(s.cpu_ms[k] for s in found) / len(found), 2) for k in found[0].cpu_ms
            }
            merged[f.name] = Stages(cpu, found[0].images_reaching_pass)
    if pauses := [p.gc_pause_ms for p in parts if p.gc_pause_ms]:
        merged["gc_pause_ms"] = {
            k: round(sorted(p[k] for p in pauses)[len(pauses) // 2], 2) for k in pauses[0]
        }
    return replace(first, **merged)


def run(config: BenchConfig) -> Results:
    """Measure everything once and write the results, the tables and the plot."""
    clock, skipped = time.perf_counter(), dict[str, str]()
    shutil.rmtree(config.workdir, ignore_errors=True)
    config.workdir.mkdir(parents=True)
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    workloads = kind_workloads(config.kind_models, skipped)
    cache = config.workdir / "model-cache"
    kinds_at_start = kind_contestants(workloads, config.kind_levels, cache, config.service_env)
    machine_at_start = procstats.machine("start")
    triplet = load_triplet()
    phone = phone_triplet(triplet) if config.phone else None
    bentoml = None
    if config.bentoml:
        bentoml = bentoml_executable(skipped, config.workdir / "bentoml-install.log")
    else:
        skipped["bentoml"] = "skipped on request (--no-bentoml)"
    specs = face_specs(config.model, config.workdir, config.service_env, bentoml)
    parts: list[InProcess] = []
    measured, failed = measure_rounds(
        [*face_contestants(config, specs, triplet, phone), *kinds_at_start], config.rounds,
        config.duration_s, config.warmup_s, config.workdir,
        before_round=lambda round_: parts.append(run_inprocess(config, triplet, phone, round_)),
    )  # fmt: skip
    inprocess = merge_inprocess(parts)
    servers = {name: m.face_server() for name, m in measured.items() if name in FACE_SERVERS}
    phone_servers: dict[str, Server] = {
        name.removesuffix(PHONE): m.face_server()
        for name, m in measured.items()
        if name.endswith(PHONE)
    }
    kinds = kind_results(workloads, measured, failed, skipped)
    log(f"start-up from S3 (moto), {config.startup_runs} run(s)")
    startup = measure_startup(config.model, runs=config.startup_runs, workdir=config.workdir)
    machine = machine_at_start | procstats.machine("end")
    cpus = machine["cpu_count"] or 1
    figures = headline(inprocess, servers, startup) | kind_ratios(kinds)
    figures |= workload_figures(inprocess, servers, phone_servers, cpus)
    manifest = manifest_keys(config.model, "name", "version", "sha256", "input_shape", "threshold")
    results = Results(
        **figures,
        targets=verdicts(figures),
        generated_at=generated_at,
        command=config.command,
        config=config.settings(),
        machine=machine,
        model={"path": repo_relative(config.model), "manifest": manifest},
        inputs=triplet.source + (f"; phone photos: {phone.source}" if phone else ""),
        skipped=skipped
        | {k: v for k, v in failed.items() if k.removesuffix(PHONE) in FACE_SERVERS},
        inprocess=inprocess,
        servers=servers,
        phone_servers=phone_servers,
        kinds=kinds,
        startup=startup,
        tuning=read_tuning(config.out_json.parent / "tuning.json"),
        wall_seconds=round(time.perf_counter() - clock, 1),
        derived=derived(inprocess, servers, cpus),
        history=[],
    )
    results.history = append_history(config.out_json.parent / "history.json", results)
    save(config.out_json, results)
    if config.out_md is not None:
        report(results, config.out_md, config.out_json)
    return results


def report(results: Results, markdown: Path, results_json: Path) -> None:
    """The document's tables, and the plot beside the results (drawn from them alone: no measuring)."""
    tables.update(markdown, results)
    plot.servers(results, results_json.with_name(plot.FILE))


def append_history(path: Path, results: Results) -> list[dict[str, Any]]:
    """Add this run's headline figures to the runs before it (run-to-run variation is a figure too)."""
    history: list[dict[str, Any]] = json.loads(path.read_text()) if path.is_file() else []
    history.append({
        "generated_at": results.generated_at,
        "config": {k: results.config[k] for k in ("levels", "duration_s", "rounds")},
        "load_average_at_start": results.machine["load_average_at_start"],
        **{k: getattr(results, k) for k in TARGETS},
    })  # fmt: skip
    path.write_text(json.dumps(history, indent=2) + "\n")
    return history
