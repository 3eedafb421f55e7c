"""docs/BENCHMARKS.md from one run's results: the table, the machine, the recommendation, how to rerun."""

from __future__ import annotations

from typing import Any

from bench.narrative import caveats, design, findings, recommendation
from bench.stats import fmt as _fmt


def _hogs(hogs: list[dict[str, Any]] | None) -> str:
    """Other CPU users, as `command (cores)`."""
    if not hogs:
        return "none"
    return "; ".join(f"`{' '.join(h['command'].split())[:70]}` ({h['cores']} cores)" for h in hogs)


def _targets(results: dict[str, Any]) -> list[str]:
    rows = ["| figure | target | measured | met |", "| --- | --- | --- | --- |"]
    for key, verdict in results["targets"].items():
        met = {True: "yes", False: "**no**", None: "not measured"}[verdict["met"]]
        rows.append(f"| `{key}` | {verdict['target']} | {_fmt(verdict['value'], 3)} | {met} |")
    rows.append(f"| `rss_mb_per_worker` | (sizing) | {_fmt(results['rss_mb_per_worker'])} | |")
    return rows


def _servers(results: dict[str, Any]) -> list[str]:
    rows = [
        "| server | concurrency | p50 ms | p95 ms | p99 ms | req/s | errors | server CPU "
        "(cores) | CPU ms/req | batch | peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for server in results["servers"].values():
        for level in server["levels"].values():
            rows.append(
                f"| {server['label']} | {level['concurrency']} | {_fmt(level['p50_ms'])} | "
                f"{_fmt(level['p95_ms'])} | {_fmt(level['p99_ms'])} | "
                f"{_fmt(level['throughput_rps'], 2)} | {level['error_count']} | "
                f"{_fmt(level['server_cpu_cores'], 2)} | "
                f"{_fmt(level['server_cpu_ms_per_request'])} | "
                f"{_fmt(level.get('mean_batch_size'), 2)} | {_fmt(level['server_peak_rss_mb'], 0)} |"
            )
    return rows


def _limit(results: dict[str, Any]) -> list[str]:
    names = {
        "forward_b1": "forward pass alone (compiled, batch of 1 triplet)",
        "pipeline": "decode + crop (3 images in worker threads) + forward, no HTTP",
        "pipeline_sequential": "the same, images one after another",
        "predict_b1": "Keras `predict()` for 1 triplet (what the naive peer calls)",
        "detect_3": "face detection, 3 images, coarse to fine (the recipe)",
        "detect_3_single_pass": "face detection, 3 images, one full-resolution pass",
        "dlib_descriptor_3": "dlib-bin's `compute_face_descriptor` on the same 3 chips (dlib's C++ network)",
    }
    rows = [
        "| in-process | p50 ms | p99 ms | calls/s | CPU ms/call |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label in names.items():
        fig = results["inprocess"].get(key)
        if fig is None:  # a results file from before this figure existed
            continue
        rows.append(
            f"| {label} | {_fmt(fig['p50_ms'], 2)} | {_fmt(fig['p99_ms'], 2)} | "
            f"{_fmt(fig['throughput_rps'])} | {_fmt(fig['cpu_ms_per_call'])} |"
        )
    return rows


def _stages(results: dict[str, Any]) -> list[str]:
    """CPU per request by stage (dlib recipe), with HTTP as what the server spends beyond them."""
    stages = results["inprocess"].get("stages")
    if not stages:
        return []
    cpu = stages["cpu_ms"]
    http = results["derived"].get("http_cpu_ms_per_request")
    total = sum(cpu.values()) + max(0.0, http or 0.0)
    rows = [
        "Where a request's CPU goes (three images; each stage timed alone, in one thread, with the "
        "service's own functions; a detection pass counts only the images that reach it; HTTP is "
        "the server's CPU per request at concurrency 16 beyond the in-process pipeline's):",
        "",
        "| stage | CPU ms per request | share |",
        "| --- | ---: | ---: |",
    ]
    reaching = stages.get("images_reaching_pass", {})
    for name, value in cpu.items():
        label = f"{name}: {reaching[name]} of 3 images" if name in reaching else name
        rows.append(f"| {label} | {_fmt(value, 2)} | {100 * value / total:.0f} % |")
    for name in reaching:
        if name not in cpu:
            rows.append(f"| {name}: 0 of 3 images | 0 | 0 % |")
    if http is not None:
        rows.append(
            f"| HTTP, multipart, JSON, the event loop | {_fmt(http, 2)} | "
            f"{100 * max(0.0, http) / total:.0f} % |"
        )
    forward, dlib = results.get("forward_ms_per_face"), results.get("dlib_forward_ms_per_face")
    if forward and dlib:
        rows += [
            "",
            f"The network per face: **{_fmt(forward, 2)} ms** here (TensorFlow, the chip and its mirror "
            f"image, the three faces of a request in one batch) against {_fmt(dlib, 2)} ms for dlib's "
            "own C++ code on one chip (`compute_face_descriptor`, the face_recognition peer's cost), "
            "p50 of the same chips in the same run.",
        ]
    return [*rows, ""]


def _tuning(results: dict[str, Any]) -> list[str]:
    """The A/B table behind the service's defaults, when docs/bench/tuning.json exists."""
    tuning = results.get("tuning")
    if not tuning:
        return ["No A/B run recorded (`scripts/bench.py --ab KEY=VALUE`)."]
    rows = [
        f"From `scripts/bench.py --ab ...` at {tuning['generated_at']} on `{tuning['model']}` "
        "(medians of interleaved repeats; `defaults` are the service's settings when it ran; "
        "[`bench/tuning.json`](bench/tuning.json)); other "
        f"processes using the CPU at its start: {_hogs(tuning.get('other_cpu_users_at_start'))}.",
        "",
        "| variant | p50 ms | p99 ms | req/s | CPU ms/req | batch |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, fig in tuning["medians"].items():
        label, _, level = name.rpartition(" ")
        settings = f"`{label}`" if tuning["variants"].get(label) else "defaults"
        rows.append(
            f"| {settings} at {level} | {_fmt(fig.get('p50_ms'))} | {_fmt(fig.get('p99_ms'))} | "
            f"{_fmt(fig.get('throughput_rps'), 2)} | {_fmt(fig.get('server_cpu_ms_per_request'))} | "
            f"{_fmt(fig.get('mean_batch_size'), 2)} |"
        )
    return [*rows, "", *_tuning_verdicts(tuning)]


def _tuning_verdicts(tuning: dict[str, Any]) -> list[str]:
    """Each variant against the defaults at the highest level: adopted only if it wins every repeat."""
    medians = tuning["medians"]
    level = max(int(k.rpartition(" c")[2]) for k in medians)
    base = medians.get(f"defaults c{level}")
    runs = tuning.get("runs") or []

    def throughputs(name: str) -> list[float]:
        return [
            r["throughput_rps"] for r in runs if r["variant"] == name and r["concurrency"] == level
        ]

    lines = []
    for name in tuning["variants"]:
        fig = medians.get(f"{name} c{level}")
        if name == "defaults" or not base or not fig:
            continue
        cpu = fig["server_cpu_ms_per_request"] / base["server_cpu_ms_per_request"] - 1
        rps = fig["throughput_rps"] / base["throughput_rps"] - 1
        ours, theirs = throughputs("defaults"), throughputs(name)
        if ours and theirs and min(theirs) > max(ours) and cpu <= 0:
            verdict = "faster in every repeat: adopt"
        elif ours and theirs and max(theirs) < min(ours):
            verdict = "slower in every repeat: the defaults stay"
        elif ours and theirs:
            verdict = (
                f"within the repeats' spread (defaults {min(ours):.1f}-{max(ours):.1f}, this "
                f"{min(theirs):.1f}-{max(theirs):.1f} requests/s): the defaults stay"
            )
        else:
            verdict = "adopt" if rps > 0.02 and cpu <= 0 else "the defaults stay"
        lines.append(
            f"- `{name}` at concurrency {level}: CPU per request {cpu:+.0%}, throughput "
            f"{rps:+.0%}, p99 {_fmt(fig.get('p99_ms'))} vs {_fmt(base.get('p99_ms'))} ms: "
            f"{verdict}."
        )
    return lines


def _history(results: dict[str, Any]) -> list[str]:
    """The headline figures of every recorded run on this machine, newest last."""
    runs = results.get("history") or []
    keys = [k for k in results["targets"]]
    rows = [
        "| run | load avg | " + " | ".join(f"`{k}`" for k in keys) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in keys) + " |",
    ]
    for run in runs:
        rows.append(
            f"| {run['generated_at']} ({run['config']['rounds']} rounds) | "
            f"{run['load_average_at_start'][0]} | "
            + " | ".join(_fmt(run.get(k), 3) for k in keys)
            + " |"
        )
    return rows


def _startup(results: dict[str, Any]) -> list[str]:
    phases = ("boot_s", "download_s", "import_s", "load_s", "warmup_s", "ready_s")
    rows = [
        "| run | boot (interpreter, app imports, bind) | download (S3) | import TF | load | "
        "warm-up | **ready** |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for i, run in enumerate(results["startup"]["runs"], 1):
        rows.append(f"| {i} | " + " | ".join(_fmt(run.get(p), 2) for p in phases) + " |")
    return rows


def render_markdown(results: dict[str, Any]) -> str:
    """The whole BENCHMARKS.md."""
    m = results["machine"]
    training = "yes: " + "; ".join(m["training_running"]) if m["training_running"] else "no"
    skipped = [f"- {k}: {v}" for k, v in results["skipped"].items()] or ["- nothing"]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{results['command']}` at {results['generated_at']} "
        f"({results['wall_seconds']:.0f} s). Raw figures: [`bench/latest.json`](bench/latest.json).",
        "Benchmarks are not tests: no timing is asserted in `make test`.",
        "",
        "## Targets",
        "",
        *_targets(results),
        "",
        "## Servers under load",
        "",
        "Each server is one worker process on loopback, all started by the run, on the same model "
        "file and the same three LFW 250x250 JPEGs "
        f"(`{results['inputs']}`), sent as multipart by a separate closed-loop load-generator "
        "process on keep-alive connections. Only one server is under load at a time: each round "
        "measures the in-process limit, then every level on every server in turn, so whatever "
        f"else runs on the machine falls on all of them alike. {results['config']['rounds']} "
        f"round(s) of {results['config']['duration_s'] / results['config']['rounds']:.1f} s per "
        f"level and server ({results['config']['duration_s']:.0f} s in all), each after at least "
        f"{results['config']['warmup_s']:.0f} s of unrecorded warm-up that lasts until every "
        "connection has had an answer (steady state). CPU and memory are the server's whole "
        "process tree, from /proc.",
        "",
        *_servers(results),
        "",
        "## The limit",
        "",
        *_limit(results),
        "",
        *_stages(results),
        *findings(results),
        "",
        "## Start-up",
        "",
        "Process start to `/readyz` 200 for `python -m service` with `MODEL_URI` on moto's S3 server "
        f"and an empty cache; median **{_fmt(results['startup']['ready_seconds'], 2)} s**.",
        "",
        *_startup(results),
        "",
        "## How the service is made fast",
        "",
        *design(results),
        "",
        "## Tuning the service's settings",
        "",
        *_tuning(results),
        "",
        "## Recommended Fargate size",
        "",
        *recommendation(results),
        "",
        "## Caveats",
        "",
        *caveats(results),
        "",
        "Every full run recorded here (docs/bench/history.json), on this shared machine:",
        "",
        *_history(results),
        "",
        "## Machine",
        "",
        f"- {m['cpu_count']} vCPUs, {m['cpu_model']}, {m['memory_gib']} GiB; {m['platform']}, "
        f"Python {m['python']}",
        f"- load average at start {m['load_average_at_start']}, at end "
        f"{m.get('load_average_at_end')}",
        f"- model training/evaluation running: {training}",
        f"- other processes using the CPU at start: {_hogs(m.get('other_cpu_users_at_start'))}; "
        f"at end: {_hogs(m.get('other_cpu_users_at_end'))}",
        f"- model: `{results['model']['path']}` {results['model']['manifest']}",
        "",
        "Not measured or skipped:",
        "",
        *skipped,
        "",
        "## Rerun",
        "",
        "```bash",
        "make bench                      # full run, ~20 minutes; rewrites this file and bench/latest.json",
        ".venv/bin/python scripts/bench.py --quick --no-bentoml --model PATH  # a smoke run",
        "```",
        "",
        "The first run creates `.cache/bench/bentoml-venv` (BentoML and TensorFlow from PyPI). "
        "Run it on an otherwise idle machine: the servers and the load generator share the cores.",
        "",
    ]
    return "\n".join(lines)
