"""A/B runs of the service's own settings: the evidence behind its defaults (reports/bench/tuning.json).

Variants are interleaved (A, B, A, B...) so drifting load from other processes hits each alike;
CPU milliseconds per request is the figure that drifting load disturbs least.
"""

from __future__ import annotations

import json
import statistics
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.photos import load_triplet
from bench.procstats import cpu_hogs, load_average
from bench.results import Tuning, load
from bench.rounds import log
from bench.servers import measure_level, merge_levels, service_spec, start_server
from service.paths import repo_relative

FIGURES = ("p50_ms", "p99_ms", "throughput_rps", "server_cpu_ms_per_request", "mean_batch_size")


def run_ab(model: Path, variants: dict[str, dict[str, str]], *, levels: tuple[int, ...],
           duration: float, repeats: int, workdir: Path, out: Path) -> None:  # fmt: skip
    """Each variant `repeats` times at each level; medians per variant and level."""
    workdir.mkdir(parents=True, exist_ok=True)
    payloads, hogs, runs = [load_triplet().multipart()], cpu_hogs(), list[dict[str, Any]]()
    for repeat in range(repeats):
        for name, env in variants.items():
            log(f"tuning: {name} {env} (repeat {repeat + 1}/{repeats})")
            spec = service_spec("facesim", "facesim", model, workdir / "model-cache", env)
            with ExitStack() as stack:
                server = start_server(spec, payloads, workdir, stack)
                for n in levels:
                    measured = measure_level(server, payloads, n, duration=duration, warmup=2.0)
                    level = asdict(merge_levels([measured]))
                    runs.append(
                        {"variant": name, "repeat": repeat, "concurrency": n}
                        | {k: level[k] for k in FIGURES}
                    )
    medians = {}
    for name in variants:
        for n in levels:
            rows = [r for r in runs if r["variant"] == name and r["concurrency"] == n]
            found = {k: [v for r in rows if (v := r[k]) is not None] for k in FIGURES}
            medians[f"{name} c{n}"] = {
                k: round(statistics.median(v), 2) for k, v in found.items() if v
            }
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "model": repo_relative(model),
        "variants": variants, "levels": list(levels), "duration_s": duration, "repeats": repeats,
        "load_average_at_end": load_average(), "other_cpu_users_at_start": hogs,
        "medians": medians, "runs": runs,
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


def read_tuning(path: Path) -> Tuning | None:
    """The last A/B run (scripts/bench.py --ab), if there was one."""
    return load(path, Tuning) if path.is_file() else None
