"""One benchmark run: the limit, the servers one after another, start-up; writes JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
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

from bench import procstats
from bench.bentoml_env import BENTOML, BentoUnavailable, ensure_bentoml
from bench.figures import TARGETS, derived, headline, verdicts
from bench.inprocess import TIMINGS
from bench.inputs import REPO, Triplet, load_triplet, write_triplet
from bench.procstats import snapshot
from bench.report import render_markdown
from bench.servers import (
    ServerSpec,
    bentoml_spec,
    face_recognition_spec,
    facesim_spec,
    measure_level,
    merge_levels,
    naive_spec,
    start_server,
    summarize_server,
)
from bench.startup import measure_startup
from bench.stats import merge_timings

BUSY_PATTERNS = ("scripts/train.py", "scripts/evaluate.py")


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
    workdir: Path = REPO / ".cache" / "bench" / "run"
    out_json: Path = REPO / "docs" / "bench" / "latest.json"
    out_md: Path | None = REPO / "docs" / "BENCHMARKS.md"
    command: str = "make bench"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on, and what else was using the CPU."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": procstats.cpu_model(),
        "memory_gib": procstats.memory_total_gib(),
        "load_average_at_start": [round(v, 2) for v in procstats.load_average()],
        "training_running": procstats.busy_processes(BUSY_PATTERNS),
        "other_cpu_users_at_start": procstats.cpu_hogs(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run_inprocess(config: BenchConfig, images_dir: Path, tag: str) -> dict[str, Any]:
    """The limit, in its own process so its TensorFlow threads match a server's."""
    out = config.workdir / f"inprocess{tag}.json"
    seconds = config.inprocess_s / config.rounds
    subprocess.run(
        [
            sys.executable, "-m", "bench.inprocess", "--model", str(config.model),
            "--images", str(images_dir), "--seconds", str(seconds), "--out", str(out),
        ],
        cwd=REPO,
        check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def merge_inprocess(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The in-process rounds as one set of figures (a figure a model does not have stays None)."""
    merged: dict[str, Any] = {
        key: merge_timings([p[key] for p in parts]) if parts[0].get(key) else None
        for key in TIMINGS
    }
    stages = [p["stages"] for p in parts if p.get("stages")]
    if stages:
        names = stages[0]["cpu_ms"]
        merged["stages"] = {
            "cpu_ms": {
                k: round(sum(s["cpu_ms"][k] for s in stages) / len(stages), 2) for k in names
            },
            "images_reaching_pass": stages[0]["images_reaching_pass"],
        }
    pauses = [p["gc_pause_ms"] for p in parts if p.get("gc_pause_ms")]
    if pauses:
        merged["gc_pause_ms"] = {
            k: round(sorted(p[k] for p in pauses)[len(pauses) // 2], 2) for k in pauses[0]
        }
    return merged | {"distances": parts[0]["distances"], "tf_threads": parts[0]["tf_threads"]}


def measure_all(
    config: BenchConfig, specs: list[ServerSpec], triplet: Triplet, images_dir: Path
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Every server started once; in each round, the limit, then each level on each server in turn.

    Interleaving spreads whatever else runs on the machine over all servers alike.
    """
    failed: dict[str, str] = {}
    inprocess: list[dict[str, Any]] = []
    parts: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
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
            tag = f"-r{round_}"
            print(f"bench: round {round_ + 1}/{config.rounds}: in-process limit", flush=True)
            inprocess.append(run_inprocess(config, images_dir, tag))
            for concurrency in config.levels:
                print(f"bench: round {round_ + 1}: concurrency {concurrency}", flush=True)
                for name, server in started.items():
                    part = measure_level(
                        server, images_dir, config.workdir, concurrency, tag=tag,
                        duration=config.duration_s / config.rounds, warmup=config.warmup_s,
                    )  # fmt: skip
                    parts[name, concurrency].append(part)
        finals = {name: snapshot(server.pid) for name, server in started.items()}
    servers = {
        name: summarize_server(
            server,
            {str(c): merge_levels(parts[name, c]) for c in config.levels},
            finals[name],
        )
        for name, server in started.items()
    }
    return merge_inprocess(inprocess), servers, failed


def server_specs(config: BenchConfig, skipped: dict[str, str]) -> list[ServerSpec]:
    """facesim, the naive peer and (when it can be installed) BentoML."""
    specs = [
        facesim_spec(config.model, config.workdir / "model-cache", config.service_env),
        naive_spec(config.model),
        face_recognition_spec(),
    ]
    if not config.bentoml:
        skipped["bentoml"] = "skipped on request (--no-bentoml)"
        return specs
    try:
        executable = ensure_bentoml(log=config.workdir / "bentoml-install.log")
    except BentoUnavailable as exc:
        skipped["bentoml"] = f"cannot install {BENTOML} here: {exc}"
        return specs
    specs.append(bentoml_spec(config.model, executable, config.workdir / "bentoml-home"))
    return specs


def run(config: BenchConfig) -> dict[str, Any]:
    """Measure everything once and write the results."""
    started = time.perf_counter()
    shutil.rmtree(config.workdir, ignore_errors=True)
    config.workdir.mkdir(parents=True)
    machine = machine_info()
    triplet = load_triplet(allow_fallback=config.allow_fallback_images)
    images_dir = config.workdir / "images"
    write_triplet(triplet, images_dir)
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": config.command,
        "config": {
            k: str(v) if isinstance(v, Path) else v
            for k, v in asdict(config).items()
            if k not in ("workdir", "out_json", "out_md")
        },
        "machine": machine,
        "model": {"path": str(config.model), "manifest": _manifest(config.model)},
        "inputs": triplet.source,
        "skipped": {},
    }
    specs = server_specs(config, results["skipped"])
    results["inprocess"], results["servers"], failed = measure_all(
        config, specs, triplet, images_dir
    )
    results["skipped"].update(failed)
    print(f"bench: start-up from S3 (moto), {config.startup_runs} run(s)", flush=True)
    results["startup"] = measure_startup(
        config.model, runs=config.startup_runs, workdir=config.workdir
    )
    results["machine"]["load_average_at_end"] = [round(v, 2) for v in procstats.load_average()]
    results["machine"]["training_running_at_end"] = procstats.busy_processes(BUSY_PATTERNS)
    results["machine"]["other_cpu_users_at_end"] = procstats.cpu_hogs()
    results["tuning"] = read_tuning(config.out_json.parent / "tuning.json")
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    figures = headline(results)
    results["derived"] = derived(results, machine["cpu_count"] or 1)
    results = {**figures, "targets": verdicts(figures), **results}
    config.out_json.parent.mkdir(parents=True, exist_ok=True)
    results["history"] = append_history(config.out_json.parent / "history.json", results)
    config.out_json.write_text(json.dumps(results, indent=2) + "\n")
    if config.out_md is not None:
        config.out_md.write_text(render_markdown(results))
    return results


def read_tuning(path: Path) -> dict[str, Any] | None:
    """The last A/B run's medians (scripts/bench.py --ab), if there was one."""
    if not path.is_file():
        return None
    saved = json.loads(path.read_text())
    keys = ("generated_at", "model", "variants", "medians", "runs", "other_cpu_users_at_start")
    return {k: saved.get(k) for k in keys}


def append_history(path: Path, results: dict[str, Any]) -> list[dict[str, Any]]:
    """Add this run's headline figures to the runs before it (run-to-run variation is a figure too)."""
    history: list[dict[str, Any]] = json.loads(path.read_text()) if path.is_file() else []
    history.append(
        {
            "generated_at": results["generated_at"],
            "config": {k: results["config"][k] for k in ("levels", "duration_s", "rounds")},
            "load_average_at_start": results["machine"]["load_average_at_start"],
            **{k: results[k] for k in TARGETS},
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
    keep = ("name", "version", "sha256", "input_shape", "threshold")
    return {k: data[k] for k in keep if k in data}
