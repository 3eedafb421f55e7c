"""A/B runs of the service's own settings: the evidence behind its defaults (docs/bench/tuning.json).

Variants are interleaved (A, B, A, B...) so drifting load from other processes hits each alike;
CPU milliseconds per request is the figure that drifting load disturbs least.
"""

from __future__ import annotations

import json
import statistics
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.inputs import load_triplet, write_triplet
from bench.procstats import cpu_hogs, load_average
from bench.servers import facesim_spec, measure_level, start_server

FIGURES = ("p50_ms", "p99_ms", "throughput_rps", "server_cpu_ms_per_request", "mean_batch_size")


def run_ab(
    model: Path,
    variants: dict[str, dict[str, str]],
    *,
    levels: tuple[int, ...],
    duration: float,
    repeats: int,
    workdir: Path,
    out: Path,
) -> dict[str, Any]:
    """Each variant `repeats` times at each level; medians per variant and level."""
    workdir.mkdir(parents=True, exist_ok=True)
    triplet = load_triplet()
    images = workdir / "images"
    write_triplet(triplet, images)
    runs: list[dict[str, Any]] = []
    hogs = cpu_hogs()
    for repeat in range(repeats):
        for name, env in variants.items():
            print(f"tuning: {name} {env} (repeat {repeat + 1}/{repeats})", flush=True)
            spec = facesim_spec(model, workdir / "model-cache", env)
            with ExitStack() as stack:
                server = start_server(spec, triplet, workdir, stack)
                for concurrency in levels:
                    level = measure_level(
                        server, images, workdir, concurrency, duration=duration, warmup=2.0
                    )
                    cpu_ms = level["server_cpu_s"] / max(1, level["completed_total"]) * 1000
                    batch = (
                        level["batch_sum"] / level["batch_count"] if level["batch_count"] else None
                    )
                    runs.append(
                        {"variant": name, "repeat": repeat, "concurrency": concurrency}
                        | {k: level.get(k) for k in FIGURES}
                        | {"server_cpu_ms_per_request": round(cpu_ms, 2), "mean_batch_size": batch}
                    )
    medians = {}
    for name in variants:
        for concurrency in levels:
            rows = [r for r in runs if r["variant"] == name and r["concurrency"] == concurrency]
            medians[f"{name} c{concurrency}"] = {
                k: round(statistics.median(r[k] for r in rows if r[k] is not None), 2)
                for k in FIGURES
                if any(r[k] is not None for r in rows)
            }
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": str(model),
        "variants": variants,
        "levels": list(levels),
        "duration_s": duration,
        "repeats": repeats,
        "load_average_at_end": [round(v, 2) for v in load_average()],
        "other_cpu_users_at_start": hogs,
        "medians": medians,
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report
