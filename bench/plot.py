"""The bench's plot: throughput and p99 latency against concurrency, a line per server, drawn
from the results alone (so `scripts/bench.py --render` redraws it from reports/bench/latest.json)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure  # not pyplot: no display, no global state; Agg draws the PNG

from bench.results import Results

FILE = "servers.png"  # beside the results it is drawn from (reports/bench/)
Curve = dict[str, list[float]]  # "clients", "rps", "p99_ms", each by ascending concurrency


def curves(results: Results) -> dict[str, Curve]:
    """Each face server's throughput and p99 at each concurrency it was measured at, per workload."""
    found = {}
    phone = {f"{s.label}, phone photos": s for s in results.phone_servers.values()}
    for label, server in ({s.label: s for s in results.servers.values()} | phone).items():
        levels = sorted(server.levels.values(), key=lambda level: level.concurrency)
        found[label] = {"clients": [float(lv.concurrency) for lv in levels],
                               "rps": [lv.throughput_rps for lv in levels],
                               "p99_ms": [lv.p99_ms for lv in levels]}  # fmt: skip
    return found


def servers(results: Results, out: Path) -> None:
    """Two panels, throughput and p99 against concurrency (log scale), for every face server."""
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    rps, p99 = figure.subplots(1, 2)
    for label, curve in curves(results).items():
        style = {"marker": "o", "linestyle": "--" if label.endswith("phone photos") else "-"}
        rps.plot(curve["clients"], curve["rps"], label=label, **style)
        p99.plot(curve["clients"], curve["p99_ms"], **style)
    ticks = sorted({n for curve in curves(results).values() for n in curve["clients"]})
    for axes, what in ((rps, "requests/s"), (p99, "p99 latency, ms (log)")):
        axes.set(xscale="log", xlabel="concurrent clients", ylabel=what)
        axes.set_xticks(ticks, [f"{n:.0f}" for n in ticks])
        axes.grid(alpha=0.3)
    p99.set_yscale("log")
    figure.legend(loc="outside lower center", ncols=2, fontsize="small")
    figure.suptitle(f"`{results.command}` at {results.generated_at}", fontsize="medium")
    figure.savefig(out, dpi=100)
