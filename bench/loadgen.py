"""The load generator: closed-loop clients on keep-alive connections, on httpx.

Each of `concurrency` clients sends pre-built requests, one after another from its own place in the
list (one request for the face triplet, several digits or table rows for the other kinds), as soon
as its previous answer arrived. Every server is driven by this same generator, one at a time, in interleaved
rounds, so whatever it costs falls on every server alike.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

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
        body = json.dumps(value, separators=(",", ":")).encode()
        return cls(body, "application/json")


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
    sample: str = ""

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
        if self.window_start == math.inf:
            return self.begin + self.warmup + MAX_STEADY_WAIT_S + self.duration
        return self.window_start + self.duration

    def window(self) -> tuple[float, float]:
        """The measured window (the plain warm-up + duration if steady state never came)."""
        start = self.begin + self.warmup if self.window_start == math.inf else self.window_start
        return start, start + self.duration

    def measured(self) -> tuple[list[float], dict[str, int]]:
        """Latencies of the 200s and counts of everything else completed inside the window."""
        start, end = self.window()
        latencies, errors = [], Counter[str]()
        for started, finished, outcome in self.events:
            if start <= finished <= end:
                if outcome == "200":
                    latencies.append(finished - started)
                else:
                    errors[outcome] += 1
        return latencies, dict(errors)


@dataclass
class Run:
    """What the generator saw at one level in one round."""

    concurrency: int
    duration_s: float
    warmup_s: float
    latencies_ms: list[float]
    errors: dict[str, int]
    completed_total: int
    loadgen_cpu_s: float
    sample_response: str


async def _client(
    conn: int, client: httpx.AsyncClient, url: str, payloads: Sequence[Payload], tally: Tally
) -> None:
    """One connection: send, wait for the answer, repeat with the next payload until the window ends."""
    sent = conn  # connections start at different places, so concurrent requests differ
    while time.perf_counter() < tally.stop_at:
        payload = payloads[sent % len(payloads)]
        sent += 1
        started = time.perf_counter()
        try:
            answer = await client.post(
                url, content=payload.body, headers={"Content-Type": payload.content_type}
            )
            tally.record(
                conn, started, time.perf_counter(), str(answer.status_code), answer.content
            )
        except httpx.HTTPError as exc:
            tally.record(conn, started, time.perf_counter(), type(exc).__name__, b"")
            await asyncio.sleep(0.05)


async def _drive(url: str, payloads: Sequence[Payload], tally: Tally) -> None:
    limits = httpx.Limits(
        max_connections=tally.concurrency, max_keepalive_connections=tally.concurrency
    )
    headers = {"Accept": "application/json"}
    async with httpx.AsyncClient(
        limits=limits, timeout=REQUEST_TIMEOUT_S, headers=headers
    ) as client:
        await asyncio.gather(
            *(_client(i, client, url, payloads, tally) for i in range(tally.concurrency))
        )


def run_level(
    url: str, payloads: Sequence[Payload], *, concurrency: int, duration: float, warmup: float
) -> Run:
    """Drive one concurrency level and keep what completed inside the measured window."""
    if not payloads:
        raise ValueError("no payloads to send")
    tally = Tally(concurrency, time.perf_counter(), warmup, duration)
    cpu_before = time.process_time()
    asyncio.run(_drive(url, payloads, tally))
    latencies, errors = tally.measured()
    return Run(
        concurrency=concurrency,
        duration_s=duration,
        warmup_s=round(tally.window()[0] - tally.begin, 3),
        latencies_ms=[round(v * 1000.0, 3) for v in latencies],
        errors=errors,
        completed_total=len(tally.events),
        loadgen_cpu_s=round(time.process_time() - cpu_before, 3),
        sample_response=tally.sample,
    )
