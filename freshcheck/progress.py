"""Steps run one after another under one tqdm bar whose time left comes from estimated durations.

The estimates are each step's time on the last run (or a first guess); while a step runs the bar moves
with the clock up to that step's estimate, so tqdm's rate, and its time left, stay meaningful. Under
CI (CI=true) or without a terminal: a plain line when a step starts instead of the bar.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")
# A running step's share of the bar stops short of its estimate until the step really ends.
RUNNING_CAP = 0.98


def bar_position(done_estimates: float, estimate: float, elapsed: float) -> float:
    """Where the bar stands `elapsed` seconds into a step: never past the step's own estimate."""
    return done_estimates + min(elapsed, estimate * RUNNING_CAP)


class StepProgress:
    """A progress bar over estimated step durations, or plain lines where `plain`."""

    def __init__(
        self, estimates: Sequence[float], *, plain: bool, out: TextIO = sys.stderr
    ) -> None:
        self._estimates = iter(estimates)
        self._plain = plain
        self._out = out
        self._done = 0.0
        fmt = "{l_bar}{bar}| {elapsed} spent, about {remaining} left"
        self.bar = tqdm(total=round(sum(estimates)), bar_format=fmt, file=out, disable=plain)

    def say(self, line: str) -> None:
        """A line above the bar (or a plain line)."""
        self.bar.write(line, file=self._out)

    def step(self, name: str, work: Callable[[], T]) -> tuple[T, float]:
        """Run one step's work under the bar; its result and how many seconds it took."""
        estimate = next(self._estimates)
        self.bar.set_description_str(name[:40])
        if self._plain:
            self.say(f"... {name} (took {estimate:.0f} s last time)")
        start = time.monotonic()
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(1.0):
                self._move(bar_position(self._done, estimate, time.monotonic() - start))

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            result = work()
        finally:
            stop.set()
            ticker.join()
        self._done += estimate
        self._move(self._done)
        return result, time.monotonic() - start

    def _move(self, position: float) -> None:
        self.bar.n = round(position)
        self.bar.refresh()
