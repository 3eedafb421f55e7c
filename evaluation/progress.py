"""Progress with the time left: a tqdm bar on a terminal, a plain line per tenth under CI or in a log."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
Logger = Callable[[str], None]
# Plain lines: one per this share of the work (and the last), so a CI log stays short.
LINE_EVERY = 0.1


def interactive() -> bool:
    """A person watching a terminal (not CI, not a pipe into a log file)."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def remaining(elapsed_s: float, done: int, total: int) -> float:
    """Seconds left at the pace so far."""
    return elapsed_s / done * (total - done) if done else float("nan")


def progress(
    items: Iterable[T], *, total: int, what: str, log: Logger = print, bar: bool | None = None
) -> Iterator[T]:
    """Yield the items while showing how far along and how long is left."""
    if interactive() if bar is None else bar:
        yield from tqdm(items, total=total, desc=what, unit="", dynamic_ncols=True)
        return
    started = time.perf_counter()
    step = max(1, round(total * LINE_EVERY))
    for done, item in enumerate(items, start=1):
        yield item
        if done % step == 0 or done == total:
            elapsed = time.perf_counter() - started
            left = remaining(elapsed, done, total)
            log(f"{what}: {done}/{total} ({done / total:.0%}), {elapsed:.0f} s, ~{left:.0f} s left")
