"""Interleaved rounds: every server started once, then in each round each level on each server.

Interleaving spreads whatever else runs on the machine over all servers alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import procstats
from bench.loadgen import Payload
from bench.procstats import TreeStats
from bench.results import Level
from bench.servers import ServerSpec, Slice, Started, measure_level, merge_levels, start_server


@dataclass(frozen=True)
class Contestant:
    """A server, the requests it is sent and the concurrency levels it is measured at."""

    spec: ServerSpec
    payloads: list[Payload]
    levels: tuple[int, ...]
    required: bool = False  # a failed start ends the run (our service); a peer's is recorded


@dataclass(frozen=True)
class Measured:
    """A server that started: its first answers, merged levels and resources at the end."""

    started: Started
    levels: dict[str, Level]
    final: TreeStats


@dataclass(frozen=True)
class Schedule:
    """How long each slice runs."""

    rounds: int
    duration_s: float  # per level and server, over all rounds
    warmup_s: float


def measure_rounds(
    contestants: list[Contestant],
    schedule: Schedule,
    workdir: Path,
    *,
    before_round: Callable[[int], None] = lambda _: None,
) -> tuple[dict[str, Measured], dict[str, str]]:
    """Each contestant by its spec's name, and why those that did not start did not."""
    failed: dict[str, str] = {}
    parts: dict[tuple[str, int], list[Slice]] = defaultdict(list)
    levels = sorted({level for c in contestants for level in c.levels})
    with ExitStack() as stack:
        started: dict[str, tuple[Contestant, Started]] = {}
        for contestant in contestants:
            spec = contestant.spec
            print(f"bench: starting {spec.name}: {spec.label}", flush=True)
            try:
                started[spec.name] = (
                    contestant,
                    start_server(spec, contestant.payloads, workdir, stack),
                )
            except RuntimeError as exc:
                if contestant.required:
                    raise
                failed[spec.name] = f"failed to start: {exc}"[:1000]
        for round_ in range(schedule.rounds):
            before_round(round_)
            for concurrency in levels:
                print(f"bench: round {round_ + 1}/{schedule.rounds}: concurrency {concurrency}",
                      flush=True)  # fmt: skip
                for name, (contestant, server) in started.items():
                    if concurrency in contestant.levels:
                        parts[name, concurrency].append(measure_level(
                            server, contestant.payloads, concurrency,
                            duration=schedule.duration_s / schedule.rounds, warmup=schedule.warmup_s,
                        ))  # fmt: skip
        finals = {name: procstats.snapshot(server.pid) for name, (_, server) in started.items()}
    measured = {
        name: Measured(
            server,
            {str(c): merge_levels(parts[name, c]) for c in contestant.levels},
            finals[name],
        )
        for name, (contestant, server) in started.items()
    }
    return measured, failed
