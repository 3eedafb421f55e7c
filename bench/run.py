"""One benchmark run: the limit, the servers one after another, start-up; writes JSON and Markdown."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import procstats
from bench.bentoml_env import BENTOML, BentoUnavailable, ensure_bentoml
from bench.inputs import REPO, load_triplet, write_triplet
from bench.report import render_markdown
from bench.servers import ServerSpec, bentoml_spec, facesim_spec, measure_server, naive_spec
from bench.startup import measure_startup

BUSY_PATTERNS = ("scripts/train.py", "scripts/evaluate.py")
TARGETS = {
    "ratio_p50_c1_vs_inprocess": ("<=", 1.15),
    "ratio_throughput_c16_vs_naive": (">=", 3.0),
    "ratio_throughput_c16_vs_bentoml": (">=", 1.0),
    "ratio_p99_vs_p50_c16": ("<=", 1.5),
    "ready_seconds": ("<=", 10.0),
}


@dataclass(frozen=True)
class BenchConfig:
    """What one run measures and for how long."""

    model: Path
    levels: tuple[int, ...] = (1, 4, 16, 64)
    duration_s: float = 15.0
    warmup_s: float = 3.0
    inprocess_s: float = 8.0
    startup_runs: int = 3
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


def run_inprocess(config: BenchConfig, images_dir: Path) -> dict[str, Any]:
    """The limit, in its own process so its TensorFlow threads match a server's."""
    out = config.workdir / "inprocess.json"
    subprocess.run(
        [
            sys.executable, "-m", "bench.inprocess", "--model", str(config.model),
            "--images", str(images_dir), "--seconds", str(config.inprocess_s), "--out", str(out),
        ],
        cwd=REPO,
        check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def server_specs(config: BenchConfig, skipped: dict[str, str]) -> list[ServerSpec]:
    """facesim, the naive peer and (when it can be installed) BentoML."""
    specs = [
        facesim_spec(config.model, config.workdir / "model-cache", config.service_env),
        naive_spec(config.model),
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


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or not positive."""
    if not numerator or not denominator or numerator <= 0 or denominator <= 0:
        return None
    value = numerator / denominator
    return round(value, 3) if math.isfinite(value) else None


def _level(servers: dict[str, Any], name: str, concurrency: int) -> dict[str, Any]:
    """One server's figures at one level (empty when not measured)."""
    level: dict[str, Any] = servers.get(name, {}).get("levels", {}).get(str(concurrency), {})
    return level


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The ratios the issue asks for, from the raw figures."""
    servers = results["servers"]
    ours_c1, ours_c16 = _level(servers, "facesim", 1), _level(servers, "facesim", 16)
    facesim = servers.get("facesim", {})
    return {
        "ratio_p50_c1_vs_inprocess": _ratio(
            ours_c1.get("p50_ms"), results["inprocess"]["pipeline"]["p50_ms"]
        ),
        "ratio_throughput_c16_vs_naive": _ratio(
            ours_c16.get("throughput_rps"), _level(servers, "naive", 16).get("throughput_rps")
        ),
        "ratio_throughput_c16_vs_bentoml": _ratio(
            ours_c16.get("throughput_rps"), _level(servers, "bentoml", 16).get("throughput_rps")
        ),
        "ratio_p99_vs_p50_c16": _ratio(ours_c16.get("p99_ms"), ours_c16.get("p50_ms")),
        "ready_seconds": results["startup"]["ready_seconds"],
        "rss_mb_per_worker": max(
            facesim.get("peak_rss_mb", 0), facesim.get("rss_after_warmup_mb", 0)
        ),
    }


def derived(results: dict[str, Any], cpus: int) -> dict[str, Any]:
    """How close the service gets to what the work itself allows on this machine's cores."""
    pipeline, forward = results["inprocess"]["pipeline"], results["inprocess"]["forward_b1"]
    limit = cpus * 1000.0 / pipeline["cpu_ms_per_call"]
    ours = _level(results["servers"], "facesim", 16)
    out = {
        "throughput_limit_rps": round(limit, 2),
        "throughput_c16_vs_limit": _ratio(ours.get("throughput_rps"), limit),
        "cpu_efficiency_c16": _ratio(
            pipeline["cpu_ms_per_call"], ours.get("server_cpu_ms_per_request")
        ),
        "forward_share_of_cpu": _ratio(forward["cpu_ms_per_call"], pipeline["cpu_ms_per_call"]),
        "http_cpu_ms_per_request": round(
            ours.get("server_cpu_ms_per_request", 0) - pipeline["cpu_ms_per_call"], 2
        ),
    }
    for name in ("naive", "bentoml"):
        level = _level(results["servers"], name, 16)
        if level:
            out[f"{name}_cpu_ms_per_request_c16"] = level["server_cpu_ms_per_request"]
    return out


def verdicts(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with its measured value and whether it was met."""
    out = {}
    for key, (op, target) in TARGETS.items():
        value = figures.get(key)
        met = None if value is None else (value <= target if op == "<=" else value >= target)
        out[key] = {"value": value, "target": f"{op} {target}", "met": met}
    return out


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
    print(f"bench: in-process limit ({config.inprocess_s:.0f} s per figure)", flush=True)
    results["inprocess"] = run_inprocess(config, images_dir)
    results["servers"] = {}
    for spec in server_specs(config, results["skipped"]):
        print(f"bench: {spec.label} at concurrency {list(config.levels)}", flush=True)
        try:
            results["servers"][spec.name] = measure_server(
                spec,
                triplet,
                images_dir,
                levels=config.levels,
                duration=config.duration_s,
                warmup=config.warmup_s,
                workdir=config.workdir,
            )
        except RuntimeError as exc:
            if spec.name == "facesim":
                raise
            results["skipped"][spec.name] = f"failed to run: {exc}"[:1000]
    print(f"bench: start-up from S3 (moto), {config.startup_runs} run(s)", flush=True)
    results["startup"] = measure_startup(
        config.model, runs=config.startup_runs, workdir=config.workdir
    )
    results["machine"]["load_average_at_end"] = [round(v, 2) for v in procstats.load_average()]
    results["machine"]["training_running_at_end"] = procstats.busy_processes(BUSY_PATTERNS)
    results["machine"]["other_cpu_users_at_end"] = procstats.cpu_hogs()
    tuning = config.out_json.parent / "tuning.json"
    if tuning.is_file():
        saved = json.loads(tuning.read_text())
        results["tuning"] = {k: saved[k] for k in ("generated_at", "model", "variants", "medians")}
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    figures = headline(results)
    results["derived"] = derived(results, machine["cpu_count"] or 1)
    results = {**figures, "targets": verdicts(figures), **results}
    config.out_json.parent.mkdir(parents=True, exist_ok=True)
    config.out_json.write_text(json.dumps(results, indent=2) + "\n")
    if config.out_md is not None:
        config.out_md.write_text(render_markdown(results))
    return results


def _manifest(model: Path) -> dict[str, Any]:
    """The model's manifest, without bulky training details."""
    try:
        data: dict[str, Any] = json.loads(model.with_suffix(".json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    keep = ("name", "version", "sha256", "input_shape", "threshold")
    return {k: data[k] for k in keep if k in data}
