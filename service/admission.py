"""Who gets in: a bounded number of requests in the service, fewer worked on at once, the rest shed.

A request takes a place before its body is read (MAX_QUEUE places: a full service answers 503 at
once, having read nothing), then waits in line for one of MAX_ACTIVE turns, in which it is decoded,
cropped and sent to the model. A request that would wait longer than QUEUE_TIMEOUT for its turn is
answered 503 at once (the wait is estimated from how long recent turns took), or when the wait
runs out. Retry-After says about when there will be room for the refused client: when the work in
the service now is done, after the clients refused before it that have not come back yet (each is
told a later time, so refused clients come back spread out instead of together, and a client does
not resend its upload to a service that is still full). So the work in progress, and the memory it
holds, stay the same however many clients come, and every answered request was served in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

from service.errors import Overloaded

# Weight of the newest turn in the running mean of turn lengths: about the last ten turns count.
TURN_WEIGHT = 0.1


class Admission:
    """Places (MAX_QUEUE), turns (MAX_ACTIVE) and the longest wait for a turn (QUEUE_TIMEOUT)."""

    def __init__(
        self,
        *,
        max_queue: int,
        max_active: int,
        queue_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_queue = max_queue
        self.max_active = min(max_active, max_queue)
        self.queue_timeout = queue_timeout
        self._clock = clock
        self._placed = 0
        self._active = 0
        self._line: deque[asyncio.Future[None]] = deque()
        self._returns: list[float] = []  # when refused clients were told to come back
        self.mean_turn: float | None = None  # seconds, once a turn has ended

    @property
    def waiting(self) -> int:
        """Requests in line for a turn."""
        return len(self._line)

    def expected_wait(self) -> float:
        """Seconds a newcomer would wait for a turn: the line ahead, served max_active at a time."""
        if self._active < self.max_active and not self._line:
            return 0.0
        if self.mean_turn is None:
            return 0.0  # no turn has ended yet: nothing to estimate from
        return (len(self._line) + 1) * self.mean_turn / self.max_active

    def done_in(self) -> float:
        """Seconds until the requests in the service now are done: all of them, max_active at a time."""
        if self.mean_turn is None:
            return 0.0
        return max(self._placed, self._active + len(self._line)) * self.mean_turn / self.max_active

    def retry_after(self) -> int:
        """Whole seconds a refused client should wait: the work in the service, then the work of the
        clients refused before it that are still to come back (recorded: the next one waits longer)."""
        now = self._clock()
        self._returns = [t for t in self._returns if t > now]
        ahead = len(self._returns) * (self.mean_turn or 0.0) / self.max_active
        seconds = max(1, math.ceil(self.done_in() + ahead))
        self._returns.append(now + seconds)
        return seconds

    @contextlib.asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        """A place in the service, or 503 at once when all are taken or the wait would be too long."""
        wait = self.expected_wait()
        if self._placed >= self.max_queue:
            raise Overloaded(
                f"the service is at capacity ({self.max_queue} requests in progress); retry shortly",
                retry_after=self.retry_after(),
            )
        if wait > self.queue_timeout:
            raise Overloaded(
                f"the service is at capacity (about {wait:.1f} s of work queued, more than "
                f"{self.queue_timeout:g} s); retry shortly",
                retry_after=self.retry_after(),
            )
        self._placed += 1  # the event loop's thread only: no lock needed
        try:
            yield
        finally:
            self._placed -= 1

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One of max_active turns, first come first served; 503 when none comes in time."""
        if self._active < self.max_active and not self._line:
            self._active += 1
        else:
            await self._wait_in_line()
        began = self._clock()
        try:
            yield
        finally:
            self._record(self._clock() - began)
            self._active -= 1
            self._next()

    async def _wait_in_line(self) -> None:
        """Wait until _next() hands this request a turn (already counted), or 503 after the timeout."""
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(ticket)
        try:
            await asyncio.wait_for(ticket, self.queue_timeout)
        except TimeoutError:
            self._leave(ticket)
            raise Overloaded(
                f"the service is at capacity (no turn within {self.queue_timeout:g} s); "
                "retry shortly",
                retry_after=self.retry_after(),
            ) from None
        except asyncio.CancelledError:  # the client went away
            if ticket.done() and not ticket.cancelled():  # a turn had just been handed over
                self._active -= 1
                self._next()
            self._leave(ticket)
            raise

    def _leave(self, ticket: asyncio.Future[None]) -> None:
        """Take a ticket out of the line (it gave up)."""
        if ticket in self._line:
            self._line.remove(ticket)

    def _record(self, seconds: float) -> None:
        """Fold one turn's length into the running mean."""
        old = self.mean_turn
        self.mean_turn = seconds if old is None else old + TURN_WEIGHT * (seconds - old)

    def _next(self) -> None:
        """Hand a free turn to the first in line still waiting; counted now, so no newcomer overtakes."""
        while self._line and self._active < self.max_active:
            ticket = self._line.popleft()
            if not ticket.done():
                self._active += 1
                ticket.set_result(None)
