"""The load generator: closed-loop clients, each on its own keep-alive aiohttp connection.

Each of `concurrency` clients sends pre-built requests in turn, from its own place in the list, as
soon as its previous answer arrived. Every server is driven by this same generator, one at a time,
in interleaved rounds, so whatever it costs falls on every server alike.

It runs on the cores it measures, so what a request costs the client is taken from the server:
aiohttp, not httpx, because httpx's pool cost grows with its connections (encode/httpcore#1035):
1.5 ms of client CPU per 30 kB request at 16 clients and 10 ms at 64 with one shared pool, 1.3 ms
with a pool per client, 0.2-0.25 ms with aiohttp, against a trivial server on this machine.
httpx still builds the multipart bodies, once, before any level. The reliability tests drive the
service through nginx with it too (Clients: HTTPS, a client address each, impatient retries).
"""

from __future__ import annotations

import asyncio
import json
import math
import ssl
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp
import httpx

from bench.figures import summarize_ms

FilePart = tuple[str, bytes, str]  # a multipart field's file name, bytes and content type
REQUEST_TIMEOUT_S = 120.0
MAX_STEADY_WAIT_S = 120.0  # give up waiting for every connection's first answer after this


@dataclass(frozen=True)
class Payload:
    """One pre-built request: its body and content type."""

    body: bytes
    content_type: str

    @classmethod
    def multipart(cls, files: Mapping[str, FilePart] | Sequence[tuple[str, FilePart]]) -> Payload:
        """A multipart/form-data request of these (file name, bytes, content type) fields."""
        request = httpx.Request("POST", "http://127.0.0.1/predict", files=files)
        return cls(request.read(), request.headers["Content-Type"])

    @classmethod
    def json(cls, value: object) -> Payload:
        """An application/json request (compact, as a browser's JSON.stringify sends it)."""
        return cls(json.dumps(value, separators=(",", ":")).encode(), "application/json")


@dataclass(frozen=True, slots=True)
class Event:
    """One finished request: when it was sent and answered, and how."""

    started: float
    finished: float
    outcome: str  # the HTTP status, or the transport error's class name
    code: str | None = None  # an error answer's JSON `error.code` ("no-code" without one)
    retry_after: bool = False  # the answer said when to come back


@dataclass(frozen=True)
class Clients:
    """How the clients connect and behave; the bench's: plain HTTP, waiting as Retry-After says."""

    headers: Callable[[int], Mapping[str, str]] = lambda _: {}  # client i's own headers
    ssl: ssl.SSLContext | None = None  # HTTPS, verified against this context
    retry_wait: float | None = None  # seconds to wait after any non-200, instead of Retry-After
    stop: threading.Event | None = None  # stop sending once set (requests in flight finish)


@dataclass
class Tally:
    """Every answer the clients got; the measured window is decided as the level runs.

    Steady state in a closed loop starts once every client has had an answer (at high concurrency
    the first answers come before any queue has formed) and the warm-up has passed; the window is
    the `duration` seconds from there.
    """

    concurrency: int
    begin: float
    warmup: float
    duration: float
    events: list[Event] = field(default_factory=list)
    answered: set[int] = field(default_factory=set)
    window_start: float = math.inf
    sample: str = ""  # the first 200's body
    cpu_s: float = 0.0  # the generator's own CPU time
    ended: float = 0.0

    def record(self, conn: int, event: Event, body: bytes = b"") -> None:
        """Keep one finished request; open the window when every client has been answered."""
        self.events.append(event)
        if event.outcome == "200" and not self.sample:
            self.sample = body[:400].decode("utf-8", "replace")
        self.answered.add(conn)
        if self.window_start == math.inf and len(self.answered) == self.concurrency:
            self.window_start = max(event.finished, self.begin + self.warmup)

    @property
    def stop_at(self) -> float:
        """When clients stop sending: the window's end, or a cap if it never opened."""
        return self.window()[1] + (MAX_STEADY_WAIT_S if self.window_start == math.inf else 0.0)

    def window(self) -> tuple[float, float]:
        """The measured window (the plain warm-up + duration if steady state never came)."""
        start = self.begin + self.warmup if self.window_start == math.inf else self.window_start
        return start, start + self.duration

    def measured(self) -> tuple[list[float], Counter[str]]:
        """Latencies (ms) of the 200s and counts of everything else completed inside the window."""
        start, end = self.window()
        inside = [e for e in self.events if start <= e.finished <= end]
        errors = Counter(e.outcome for e in inside if e.outcome != "200")
        return [_ms(e) for e in inside if e.outcome == "200"], errors

    # The whole run, warm-up included: what the reliability tests assert on.
    def statuses(self) -> Counter[str]:
        """How every request ended: its status, or its transport error."""
        return Counter(e.outcome for e in self.events)

    def error_codes(self) -> Counter[str]:
        """The error answers by status and JSON code ("503 overloaded")."""
        return Counter(f"{e.outcome} {e.code}" for e in self.events if e.code)

    def missing_retry_after(self) -> int:
        """429 and 503 answers that did not say when to come back."""
        return sum(e.outcome in ("429", "503") and not e.retry_after for e in self.events)

    def latencies_ms(self, outcome: str = "200") -> list[float]:
        """The latencies of every request that ended so."""
        return [_ms(e) for e in self.events if e.outcome == outcome]

    def in_system(self, outcome: str = "200") -> float:
        """Little's law: how many requests that ended so were in the system on average (their
        rate times their mean latency), whatever the machine's speed."""
        found, seconds = self.latencies_ms(outcome), self.ended - self.begin
        return len(found) / seconds * statistics.fmean(found) / 1000 if found and seconds else 0.0

    def summary(self) -> str:
        """One line for a test's log."""
        seconds, statuses = self.ended - self.begin, self.statuses()
        parts = [f"{len(self.events)} requests in {seconds:.1f} s",
                 "statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))]  # fmt: skip
        for outcome in sorted(k for k in statuses if k.isdigit()):
            found = summarize_ms(self.latencies_ms(outcome))
            cells = "/".join(f"{found[f'{k}_ms']:.0f}" for k in ("p50", "p95", "p99", "max"))
            parts.append(f"{outcome} p50/p95/p99/max {cells} ms")
        if codes := self.error_codes():
            parts.append("codes " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())))
        return "; ".join(parts)


def _ms(event: Event) -> float:
    return round((event.finished - event.started) * 1000.0, 3)


def _error_code(status: int, body: bytes) -> str | None:
    """An error answer's JSON `error.code`; "no-code" when it has none; None below 400."""
    if status < 400:
        return None
    try:
        return str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "no-code"


async def _drive(url: str, payloads: Sequence[Payload], tally: Tally, clients: Clients) -> None:
    """`concurrency` clients, each on its own keep-alive connection, as separate callers are."""

    def sending() -> bool:
        return time.perf_counter() < tally.stop_at and not (clients.stop and clients.stop.is_set())

    async def pause(seconds: float) -> None:
        await asyncio.sleep(max(0.0, min(seconds, tally.stop_at - time.perf_counter())))

    async def client(conn: int) -> None:
        sent = conn  # clients start at different places, so concurrent requests differ
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1, ssl=clients.ssl or True),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            headers={"Accept": "application/json", **clients.headers(conn)},
        ) as http:
            while sending():
                payload, sent = payloads[sent % len(payloads)], sent + 1
                started = time.perf_counter()
                try:
                    headers = {"Content-Type": payload.content_type}
                    async with http.post(url, data=payload.body, headers=headers) as answer:
                        body = await answer.read()
                    told = answer.headers.get("Retry-After")
                    status = answer.status
                    event = Event(started, time.perf_counter(), str(status),
                                  _error_code(status, body), told is not None)  # fmt: skip
                    tally.record(conn, event, body)
                    if status != 200 and clients.retry_wait is not None:
                        await pause(clients.retry_wait)
                    elif status == 503 and told is not None:
                        # A well-behaved client waits as told; sending again at once would only
                        # measure how fast a full server can say no.
                        await pause(float(told))
                except (aiohttp.ClientError, TimeoutError) as exc:
                    failed = Event(started, time.perf_counter(), type(exc).__name__)
                    tally.record(conn, failed)
                    await pause(0.05 if clients.retry_wait is None else clients.retry_wait)

    await asyncio.gather(*(client(i) for i in range(tally.concurrency)))


def run_level(
    url: str,
    payloads: Sequence[Payload],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    clients: Clients = Clients(),
) -> Tally:
    """Drive one concurrency level; what completed inside the measured window is `measured()`."""
    if not payloads:
        raise ValueError("no payloads to send")
    tally = Tally(concurrency, time.perf_counter(), warmup, duration)
    cpu_before = time.process_time()
    asyncio.run(_drive(url, payloads, tally, clients))
    tally.cpu_s, tally.ended = time.process_time() - cpu_before, time.perf_counter()
    return tally
