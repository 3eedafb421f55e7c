"""A small closed-loop load generator: N workers, each one request at a time, bounded in time and count."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

Send = Callable[[httpx.Client, int], httpx.Response]


@dataclass
class LoadResult:
    """What came back: statuses (or transport error names), error codes, latencies of answers."""

    statuses: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    missing_retry_after: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Requests sent."""
        return sum(self.statuses.values())

    def percentile(self, p: float, status: str = "200") -> float:
        """Nearest-rank percentile of the latencies of answers with this status, in seconds."""
        values = sorted(self.latencies.get(status, []))
        if not values:
            return math.nan
        return values[min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1)]

    def in_system(self, status: str = "200") -> float:
        """Little's law: how many requests with this answer were in the system on average
        (their rate times their mean latency), whatever the machine's speed."""
        values = self.latencies.get(status, [])
        if not values or not self.seconds:
            return 0.0
        return len(values) / self.seconds * (sum(values) / len(values))

    def summary(self) -> str:
        """One line for the test log and docs/RELIABILITY.md."""
        rate = self.total / self.seconds if self.seconds else 0.0
        parts = [f"{self.total} requests in {self.seconds:.1f} s ({rate:.1f}/s)"]
        parts.append("statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())))
        for status in sorted(self.latencies):
            parts.append(
                f"{status} p50/p95/p99/max {self.percentile(50, status) * 1000:.0f}/"
                f"{self.percentile(95, status) * 1000:.0f}/{self.percentile(99, status) * 1000:.0f}/"
                f"{max(self.latencies[status]) * 1000:.0f} ms"
            )
        if self.error_codes:
            parts.append(
                "codes " + ", ".join(f"{k}: {v}" for k, v in sorted(self.error_codes.items()))
            )
        return "; ".join(parts)


def run_load(
    make_client: Callable[[int], httpx.Client],
    send: Send,
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    stop: threading.Event | None = None,
    backoff: float = 0.0,
) -> LoadResult:
    """Run `concurrency` workers until `seconds` pass or `max_requests` were sent, whichever is first.

    Worker i uses make_client(i) and calls send(client, i) in a loop. A transport error is counted
    under its class name; every worker stops at the deadline or when `stop` is set (its last
    request may finish after that, bounded by the client's timeout). After anything but a 200 a
    worker waits `backoff` seconds, as a client honouring Retry-After (shortened) would.
    """
    result = LoadResult()
    lock = threading.Lock()
    sent = 0
    started = time.monotonic()
    deadline = started + seconds

    def worker(index: int) -> None:
        nonlocal sent
        with make_client(index) as client:
            while time.monotonic() < deadline and not (stop and stop.is_set()):
                with lock:
                    if sent >= max_requests:
                        return
                    sent += 1
                began = time.perf_counter()
                try:
                    response = send(client, index)
                except httpx.HTTPError as exc:
                    with lock:
                        result.statuses[type(exc).__name__] += 1
                    time.sleep(backoff)
                    continue
                elapsed = time.perf_counter() - began
                key = str(response.status_code)
                code = _error_code(response)
                with lock:
                    result.statuses[key] += 1
                    result.latencies.setdefault(key, []).append(elapsed)
                    if code:
                        result.error_codes[f"{key} {code}"] += 1
                    if response.status_code in (429, 503) and "retry-after" not in response.headers:
                        result.missing_retry_after += 1
                if response.status_code != 200:
                    time.sleep(backoff)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A worker can overrun the deadline by one request; the client timeout bounds that.
        thread.join(timeout=seconds + 120)
    result.seconds = time.monotonic() - started
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError("a load worker did not stop; a request hangs past its timeout")
    return result


def _error_code(response: httpx.Response) -> str | None:
    """The `error.code` of a JSON error body, else None."""
    if response.status_code < 400:
        return None
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "not-json"
