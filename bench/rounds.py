"""Interleaved rounds: every server started once, then in each round each level on each server.

Interleaving spreads whatever else runs on the machine over all servers alike. A progress bar
estimates the time left on a terminal; elsewhere (CI, a log file) only the plain lines are printed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench import procstats
from bench.loadgen import Payload
from bench.procstats import TreeStats
from bench.results import Answer, KindServer, Level, Server
from bench.servers import ServerSpec, Slice, Started, measure_level, merge_levels, start_server


def log(message: str) -> None:
    """A plain progress line, printed above the progress bar when there is one."""
    tqdm.write(f"bench: {message}")


@dataclass(frozen=True)
class Contestant:
    """A server, the requests it is sent and the concurrency levels it is measured at."""

    spec: ServerSpec
    payloads: list[Payload]
    levels: tuple[int, ...]
    duration_s: float | None = None  # per level over all rounds, where the run's is too short


@dataclass(frozen=True)
class Measured:
    """A server that started: its first answers, merged levels and resources at the end."""

    started: Started
    levels: dict[str, Level]
    final: TreeStats

    def face_server(self) -> Server:
        """As a face server: the distances and choice of its answer to the triplet."""
        answer = self.started.answers[0]
        scores = answer.get("scores", {})
        distances = [scores.get(k, {}).get("distance") for k in ("img1", "img2")]
        return Server(
            **self._served(), distances=distances, most_similar=answer.get("most_similar")
        )

    def kind_server(self) -> KindServer:
        """As a classifier: each answer's first prediction (a table's answer lists its rows)."""
        firsts = [a["predictions"][0] if "predictions" in a else a for a in self.started.answers]
        answers = [Answer(a["label"], a["probabilities"]) for a in firsts]
        return KindServer(**self._served(), answers=answers)

    def _served(self) -> dict[str, Any]:
        started = self.started
        return {"label": started.spec.label, "ready_s": round(started.ready_s, 3),
                "processes": len(started.warm.pids), "rss_after_warmup_mb": started.warm.rss_mb,
                "peak_rss_mb": self.final.hwm_mb, "levels": self.levels}  # fmt: skip


def measure_rounds(
    contestants: list[Contestant],
    rounds: int,
    duration_s: float,  # per level and server, over all rounds
    warmup_s: float,
    workdir: Path,
    before_round: Callable[[int], None] = lambda _: None,
) -> tuple[dict[str, Measured], dict[str, str]]:
    """Each contestant by its spec's name, and why those that did not start did not."""
    failed: dict[str, str] = {}
    parts: dict[tuple[str, int], list[Slice]] = defaultdict(list)
    with ExitStack() as stack:
        started: dict[str, tuple[Contestant, Started]] = {}
        for c in contestants:
            log(f"starting {c.spec.name}: {c.spec.label}")
            try:
                started[c.spec.name] = c, start_server(c.spec, c.payloads, workdir, stack)
            except RuntimeError as exc:
                if c.spec.ours:  # a failed start of our service ends the run; a peer's is recorded
                    raise
                failed[c.spec.name] = f"failed to start: {exc}"[:1000]
        levels = sorted({level for c, _ in started.values() for level in c.levels})
        slices = rounds * sum(len(c.levels) for c, _ in started.values())
        with tqdm(total=slices, desc="bench", unit="slice", disable=None) as bar:
            for round_ in range(rounds):
                before_round(round_)
                for concurrency in levels:
                    log(f"round {round_ + 1}/{rounds}: concurrency {concurrency}")
                    for name, (c, server) in started.items():
                        if concurrency in c.levels:
                            parts[name, concurrency].append(measure_level(
                                server, c.payloads, concurrency,
                                duration=(c.duration_s or duration_s) / rounds, warmup=warmup_s,
                            ))  # fmt: skip
                            bar.update()
        finals = {name: procstats.snapshot(server.pid) for name, (_, server) in started.items()}
    return {
        name: Measured(
            server, {str(n): merge_levels(parts[name, n]) for n in c.levels}, finals[name]
        )
        for name, (c, server) in started.items()
    }, failed
