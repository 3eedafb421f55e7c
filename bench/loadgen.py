"""The load generator: closed-loop clients, each on its own keep-alive aiohttp connection.

Each of `concurrency` clients sends pre-built requests in turn, from its own place in the list, as
soon as its previous answer arrived. Every server is driven by this same generator, one at a time,
in interleaved rounds, so whatever it costs falls on every server alike.

It runs on the cores it measures, so what a request costs the client is taken from the server:
aiohttp, not httpx, because httpx's pool cost grows with its connections (encode/httpcore#1035):
1.5 ms of client CPU per 30 kB request at 16 clients and 10 ms at 64 with one shared pool, 1.3 ms
with a pool per client, 0.2-0.25 ms with aiohttp, against a trivial server on this machine.
httpx still builds the multipart bodies, once, before any level.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
import httpx

REQUEST_TIMEOUT_S = 120.0
MAX_STEADY_WAIT_S = 120.0  # give up waiting for every connection's first answer after this


@dataclass(frozen=True)
class Payload:
    """One pre-built request: its body and content type."""

    body: bytes
    content_type: str

    @classmethod
    def multipart(cls, files: dict[str, tuple[str, bytes, str]]) -> Payload:
        """A multipart/form-data request of these (file name, bytes, content type) fields."""
        request = httpx.Request("POST", "http://127.0.0.1/predict", files=files)
        return cls(request.read(), request.headers["Content-Type"])

    @classmethod
    def json(cls, value: object) -> Payload:
        """An application/json request (compact, as a browser's JSON.stringify sends it)."""
        return cls(json.dumps(value, separators=(",", ":")).encode(), "application/json")


@dataclass
class Tally:
    """Every answer the connections got; the measured window is decided as the level runs.

    Steady state in a closed loop starts once every connection has had an answer (at high
    concurrency the first answers come before any queue has formed) and the warm-up has passed;
    the window is the `duration` seconds from there.
    """

    concurrency: int
    begin: float
    warmup: float
    duration: float
    events: list[tuple[float, float, str]] = field(default_factory=list)
    answered: set[int] = field(default_factory=set)
    window_start: float = math.inf
    sample: str = ""  # the first 200's body
    cpu_s: float = 0.0  # the generator's own CPU time

    def record(self, conn: int, started: float, finished: float, outcome: str, body: bytes) -> None:
        """Keep one finished request; open the window when every connection has been answered."""
        self.events.append((started, finished, outcome))
        if outcome == "200" and not self.sample:
            self.sample = body[:400].decode("utf-8", "replace")
        self.answered.add(conn)
        if self.window_start == math.inf and len(self.answered) == self.concurrency:
            self.window_start = max(finished, self.begin + self.warmup)

    @property
    def stop_at(self) -> float:
        """When connections stop sending: the window's end, or a cap if it never opened."""
        return self.window()[1] + (MAX_STEADY_WAIT_S if self.window_start == math.inf else 0.0)

    def window(self) -> tuple[float, float]:
        """The measured window (the plain warm-up + duration if steady state never came)."""
        start = self.begin + self.warmup if self.window_start == math.inf else self.window_start
        return start, start + self.duration

    def measured(self) -> tuple[list[float], Counter[str]]:
        """Latencies (ms) of the 200s and counts of everything else completed inside the window."""
        start, end = self.window()
        inside = [(f - s, outcome) for s, f, outcome in self.events if start <= f <= end]
        errors = Counter(outcome for _, outcome in inside if outcome != "200")
        return [round(v * 1000.0, 3) for v, outcome in inside if outcome == "200"], errors


async def _drive(url: str, payloads: Sequence[Payload], tally: Tally) -> None:
    """`concurrency` clients, each on its own keep-alive connection, as separate callers are."""

    async def client(conn: int) -> None:
        sent = conn  # clients start at different places, so concurrent requests differ
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            headers={"Accept": "application/json"},
        ) as http:
            while time.perf_counter() < tally.stop_at:
                payload, sent = payloads[sent % len(payloads)], sent + 1
                started = time.perf_counter()
                try:
                    headers = {"Content-Type": payload.content_type}
                    async with http.post(url, data=payload.body, headers=headers) as answer:
                        body = await answer.read()
                    tally.record(conn, started, time.perf_counter(), str(answer.status), body)
                    if answer.status == 503 and "Retry-After" in answer.headers:
                        # A well-behaved client waits as told; sending again at once would only
                        # measure how fast a full server can say no.
                        wait = float(answer.headers["Retry-After"])
                        await asyncio.sleep(
                            max(0.0, min(wait, tally.stop_at - time.perf_counter()))
                        )
                except (aiohttp.ClientError, TimeoutError) as exc:
                    tally.record(conn, started, time.perf_counter(), type(exc).__name__, b"")
                    await asyncio.sleep(0.05)

    await asyncio.gather(*(client(i) for i in range(tally.concurrency)))


def run_level(
    url: str, payloads: Sequence[Payload], *, concurrency: int, duration: float, warmup: float
) -> Tally:
    """Drive one concurrency level; what completed inside the measured window is `measured()`."""
    if not payloads:
        raise ValueError("no payloads to send")
    tally = Tally(concurrency, time.perf_counter(), warmup, duration)
    cpu_before = time.process_time()
    asyncio.run(_drive(url, payloads, tally))
    tally.cpu_s = time.process_time() - cpu_before
    return tally
