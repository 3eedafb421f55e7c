"""A/B runs of the service's own settings: the evidence behind its defaults (reports/bench/tuning.json).

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

from bench.inputs import load_triplet
from bench.procstats import cpu_hogs, load_average
from bench.results import Tuning, load
from bench.servers import facesim_spec, measure_level, slice_figures, start_server
from service.paths import repo_relative


def run_ab(
    model: Path,
    variants: dict[str, dict[str, str]],
    *,
    levels: tuple[int, ...],
    duration: float,
    repeats: int,
    workdir: Path,
    out: Path,
) -> None:
    """Each variant `repeats` times at each level; medians per variant and level."""
    workdir.mkdir(parents=True, exist_ok=True)
    payloads, hogs = [load_triplet().multipart()], cpu_hogs()
    runs: list[dict[str, Any]] = []
    for repeat in range(repeats):
        for name, env in variants.items():
            print(f"tuning: {name} {env} (repeat {repeat + 1}/{repeats})", flush=True)
            with ExitStack() as stack:
                server = start_server(
                    facesim_spec(model, workdir / "model-cache", env), payloads, workdir, stack
                )
                for concurrency in levels:
                    part = measure_level(
                        server, payloads, concurrency, duration=duration, warmup=2.0
                    )
                    runs.append(
                        {"variant": name, "repeat": repeat, "concurrency": concurrency}
                        | slice_figures(part)
                    )
    medians = {}
    for name in variants:
        for concurrency in levels:
            rows = [r for r in runs if r["variant"] == name and r["concurrency"] == concurrency]
            medians[f"{name} c{concurrency}"] = {
                k: round(statistics.median(v for r in rows if (v := r[k]) is not None), 2)
                for k in rows[0]
                if k not in ("variant", "repeat", "concurrency")
                and any(r[k] is not None for r in rows)
            }
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": repo_relative(model),
        "variants": variants,
        "levels": list(levels),
        "duration_s": duration,
        "repeats": repeats,
        "load_average_at_end": load_average(),
        "other_cpu_users_at_start": hogs,
        "medians": medians,
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


def read_tuning(path: Path) -> Tuning | None:
    """The last A/B run (scripts/bench.py --ab), if there was one."""
    return load(path, Tuning) if path.is_file() else None
