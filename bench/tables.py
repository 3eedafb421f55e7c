"""The bench's Markdown tables, written into docs/BENCHMARKS.md between markers; the prose around
them is hand-written.

A table NAME lives between `<!-- bench:table NAME -->` and `<!-- /bench:table -->`; `update`
replaces what is between them and nothing else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.results import Level, Results, Stages

FARGATE_2VCPU_MEMORY_MIB = tuple(range(4096, 16384 + 1, 1024))
NGINX_SIDECAR_MIB = 64  # nginx container's reservation in the task
HEADROOM = 1.5  # memory headroom over the measured peak: larger uploads, allocator growth
TARGET_UTILISATION = 0.7  # scale out before the task's measured saturation throughput
BLOCK = re.compile(r"(<!-- bench:table (\w+) -->\n).*?(<!-- /bench:table -->)", re.S)
IN_PROCESS = {
    "forward_b1": "forward pass alone (compiled, batch of 1 triplet)",
    "pipeline": "decode + crop (3 images in worker threads) + forward, no HTTP",
    "pipeline_sequential": "the same, images one after another",
    "predict_b1": "Keras `predict()` for 1 triplet (what the naive peer calls)",
    "detect_3": "face detection, 3 images, coarse to fine (the recipe)",
    "detect_3_single_pass": "face detection, 3 images, one full-resolution pass",
    "dlib_descriptor_3": "dlib-bin's `compute_face_descriptor` on the same 3 chips (dlib's C++ network)",
    "phone_pipeline": "decode + crop + forward of the same faces as 12 MP phone photos, no HTTP",
}


def fmt(value: object, digits: int = 1) -> str:
    """A number for a table cell; '-' when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    """A Markdown table; columns from `numeric_from` on are right-aligned."""
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    lines = [header, align, *[[str(cell) for cell in row] for row in rows]]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def targets(r: Results) -> str:
    met = {True: "yes", False: "**no**", None: "not measured"}
    rows = [[f"`{k}`", v.target, fmt(v.value, 3), met[v.met]] for k, v in r.targets.items()]
    return table(["figure", "target", "measured", "met"], rows, numeric_from=2)


LEVEL_HEADER = ["concurrency", "p50 ms", "p95 ms", "p99 ms", "req/s", "errors", "server CPU (cores)",
                "CPU ms/req", "batch", "peak RSS MiB"]  # fmt: skip


def level_row(lv: Level) -> list[object]:
    """One server at one level, as LEVEL_HEADER's cells."""
    return [lv.concurrency, fmt(lv.p50_ms), fmt(lv.p95_ms), fmt(lv.p99_ms), fmt(lv.throughput_rps, 2),
            lv.error_count, fmt(lv.server_cpu_cores, 2), fmt(lv.server_cpu_ms_per_request),
            fmt(lv.mean_batch_size, 2), fmt(lv.server_peak_rss_mb, 0)]  # fmt: skip


def servers(r: Results) -> str:
    rows = [[s.label, *level_row(lv)] for s in r.servers.values() for lv in s.levels.values()]
    return table(["server", *LEVEL_HEADER], rows)


def phone(r: Results) -> str:
    """The same servers sent the phone photos (the same faces, 12 MP, EXIF-turned)."""
    if not r.phone_servers:
        return "No phone-photo workload in this run (`scripts/bench.py --no-phone`, or before it existed)."
    return servers(replace(r, servers=r.phone_servers))


def kinds(r: Results) -> str:
    """Our service and the naive peer on each classifier kind, with their ratio at 16 clients."""
    if not r.kinds:
        reasons = "; ".join(f"{k}: {v}" for k, v in r.skipped.items() if " kind" in k)
        return f"No classifier kind was measured in this run{': ' + reasons if reasons else '.'}"
    rows = [
        [name, s.label, *level_row(lv),
         fmt(k.ratio_throughput_c16_vs_naive, 2) if role == "ours" and lv.concurrency == 16 else ""]
        for name, k in r.kinds.items() for role, s in k.servers.items() for lv in s.levels.values()
    ]  # fmt: skip
    return table(["kind", "server", *LEVEL_HEADER, "ours / naive req/s"], rows, numeric_from=2)


def limit(r: Results) -> str:
    found = [(label, getattr(r.inprocess, key)) for key, label in IN_PROCESS.items()]
    rows = [[label, fmt(t.p50_ms, 2), fmt(t.p99_ms, 2), fmt(t.throughput_rps), fmt(t.cpu_ms_per_call)]
            for label, t in found if t is not None]  # fmt: skip
    return table(["in-process", "p50 ms", "p99 ms", "calls/s", "CPU ms/call"], rows)


def stages(r: Results) -> str:
    """CPU per request by stage, with HTTP as what the server spends at c16 beyond the pipeline."""
    return _stages(r.inprocess.stages, r.derived.get("http_cpu_ms_per_request"))


def phone_stages(r: Results) -> str:
    """The same on the phone photos."""
    return _stages(r.inprocess.phone_stages, r.phone_http_cpu_ms_per_request)


def _stages(found: Stages | None, http: float | None) -> str:
    if found is None:
        return (
            "No stage profile: not measured, or the model's crop recipe has no detection cascade."
        )
    cpu, reaching = found.cpu_ms, found.images_reaching_pass
    parts = {f"{n}: {reaching[n]} of 3 images" if n in reaching else n: v for n, v in cpu.items()}
    parts |= {f"{n}: 0 of 3 images": 0.0 for n in reaching if n not in cpu}
    if http is not None:
        parts["HTTP, multipart, JSON, the event loop"] = http
    total = sum(max(0.0, v) for v in parts.values())
    rows = [[name, fmt(v, 2), f"{100 * max(0.0, v) / total:.0f} %"] for name, v in parts.items()]
    return table(["stage", "CPU ms per request", "share"], rows)


def derived(r: Results) -> str:
    rows = [[f"`{k}`", fmt(v, 3)] for k, v in r.derived.items()]
    rows += [
        [f"`{k}`", fmt(getattr(r, k), 2)]
        for k in ("forward_ms_per_face", "dlib_forward_ms_per_face")
    ]
    return table(["figure", "value"], rows)


def startup(r: Results) -> str:
    phases = ("boot_s", "download_s", "import_s", "load_s", "warmup_s", "ready_s")
    header = ["run", "boot (interpreter, app imports, bind)", "download (S3)", "import TF", "load",
              "warm-up", "**ready**"]  # fmt: skip
    rows = [[i, *(fmt(run.get(p), 2) for p in phases)] for i, run in enumerate(r.startup.runs, 1)]
    return table(header, rows, numeric_from=0)


def tuning(r: Results) -> str:
    """The A/B medians, with each variant's range of throughput over the repeats at the top level."""
    if r.tuning is None:
        return "No A/B run recorded (`scripts/bench.py --ab KEY=VALUE`)."
    rows = []
    for name, fig in r.tuning.medians.items():
        label, _, level = name.rpartition(" ")
        rps = [run["throughput_rps"] for run in r.tuning.runs
               if run["variant"] == label and f"c{run['concurrency']}" == level]  # fmt: skip
        rows.append([f"`{label}`" if r.tuning.variants.get(label) else "defaults", level,
                     fmt(fig.get("p50_ms")), fmt(fig.get("p99_ms")), fmt(fig.get("throughput_rps"), 2),
                     f"{min(rps):.1f}-{max(rps):.1f}" if rps else "-",
                     fmt(fig.get("server_cpu_ms_per_request")),
                     fmt(fig.get("mean_batch_size"), 2)])  # fmt: skip
    header = ["variant", "level", "p50 ms", "p99 ms", "req/s", "req/s range", "CPU ms/req", "batch"]
    return table(header, rows, numeric_from=2)


def sizing(r: Results) -> str:
    """Fargate memory and tasks from the measured peak memory and throughput at concurrency 16."""
    ours = r.servers["facesim"]
    c16 = ours.levels.get("16") or list(ours.levels.values())[-1]
    need = r.rss_mb_per_worker * HEADROOM + NGINX_SIDECAR_MIB
    memory = next((m for m in FARGATE_2VCPU_MEMORY_MIB if m >= need), FARGATE_2VCPU_MEMORY_MIB[-1])
    rows: list[list[object]] = [
        ["memory per worker after warm-up / peak (MiB)",
         f"{fmt(ours.rss_after_warmup_mb, 0)} / {fmt(r.rss_mb_per_worker, 0)}"],
        [f"task memory needed ({HEADROOM}x peak + nginx {NGINX_SIDECAR_MIB} MiB)", f"{need:.0f}"],
        ["smallest 2-vCPU Fargate memory that fits (MiB)", memory],
        ["requests/s at concurrency 16 (cores used)",
         f"{fmt(c16.throughput_rps)} ({fmt(c16.server_cpu_cores, 2)})"],
        ["requests/s of 2 vCPUs to itself (2 x 1000 / CPU ms per request)",
         f"{2 * 1000.0 / c16.server_cpu_ms_per_request:.1f}"],
        [f"plan per task ({int(TARGET_UTILISATION * 100)} % of measured)",
         f"{c16.throughput_rps * TARGET_UTILISATION:.1f}"],
    ]  # fmt: skip
    return table(["figure", "value"], rows)


def history(r: Results) -> str:
    keys = list(r.targets)
    rows = [[f"{run['generated_at']} ({run['config']['rounds']} rounds)", run["load_average_at_start"][0],
             *(fmt(run.get(k), 3) for k in keys)] for run in r.history]  # fmt: skip
    return table(["run", "load avg", *(f"`{k}`" for k in keys)], rows)


def _hogs(found: list[dict[str, Any]] | None) -> str:
    """Other processes using the CPU, as a cell."""
    cells = [
        f"`{' '.join(str(h['command']).split())[:70]}` ({h['cores']} cores)" for h in found or []
    ]
    return "; ".join(cells) or "none"


def machine(r: Results) -> str:
    m, rounds = r.machine, r.config["rounds"]
    rows = [
        ["generated", f"`{r.command}` at {r.generated_at} ({r.wall_seconds:.0f} s)"],
        ["measured", f"{rounds} round(s) of {r.config['duration_s'] / rounds:.1f} s per level and server, "
                     f"after at least {r.config['warmup_s']:.0f} s of warm-up"],
        ["inputs", f"`{r.inputs}`"],
        ["machine", f"{m['cpu_count']} vCPUs, {m['cpu_model']}, {m['memory_gib']} GiB; {m['platform']}, "
                    f"Python {m['python']}"],
        ["load average at start / end", f"{m['load_average_at_start']} / {m.get('load_average_at_end')}"],
        ["model training or evaluation running", "; ".join(m["training_running"]) or "no"],
        ["other CPU users at start / end",
         f"{_hogs(m.get('other_cpu_users_at_start'))} / {_hogs(m.get('other_cpu_users_at_end'))}"],
        ["model", f"`models/{Path(r.model['path']).name}` {r.model['manifest']}"],
        *([f"{name} kind", f"`{k.model['path']}` ({k.model['name']} {k.model['version']}); "
                           f"requests: {k.inputs}"] for name, k in r.kinds.items()),
        ["not measured or skipped", "; ".join(f"{k}: {v}" for k, v in r.skipped.items()) or "nothing"],
    ]  # fmt: skip
    return table(["", ""], rows, numeric_from=2)


TABLES: dict[str, Callable[[Results], str]] = {
    "targets": targets, "servers": servers, "phone": phone, "kinds": kinds, "limit": limit,
    "stages": stages, "phone_stages": phone_stages,
    "derived": derived, "startup": startup, "tuning": tuning, "sizing": sizing, "history": history,
    "machine": machine,
}  # fmt: skip


def update(path: Path, results: Results) -> None:
    """Rewrite every table block of the document (a new document gets one heading per table)."""
    if not path.is_file():
        skeleton = [
            f"## {name}\n\n<!-- bench:table {name} -->\n<!-- /bench:table -->\n" for name in TABLES
        ]
        path.write_text("# Benchmarks\n\n" + "\n".join(skeleton))
    path.write_text(BLOCK.sub(lambda m: f"{m[1]}{TABLES[m[2]](results)}\n{m[3]}", path.read_text()))
