"""The load generator, run as its own process: closed-loop HTTP/1.1 clients on keep-alive connections.

`python -m bench.loadgen --url http://127.0.0.1:PORT/predict --images DIR --concurrency 16
--duration 15 --warmup 3 --out result.json`. Each of `concurrency` connections sends the same
pre-built multipart request as soon as its previous answer arrived. Requests that complete during
the warm-up are not recorded; the measured window is the `duration` seconds after it. Raw asyncio
streams instead of an HTTP client library keep the generator's own CPU cost (it shares the cores
with the server) to a minimum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.inputs import FIELDS, Triplet
from bench.stats import summarize_ms

REQUEST_TIMEOUT_S = 120.0
MAX_STEADY_WAIT_S = 120.0  # give up waiting for every connection's first answer after this


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
        start = self.window_start
        if start == math.inf:
            start = self.begin + self.warmup
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


def build_request(url: str, body: bytes, content_type: str) -> tuple[str, int, bytes]:
    """(host, port, raw request bytes) for a keep-alive POST."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Accept: application/json\r\nConnection: keep-alive\r\n\r\n"
    )
    return host, port, head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep_alive) of one HTTP/1.1 response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(c[:-2] for c in chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"


async def connection(conn: int, host: str, port: int, request: bytes, tally: Tally) -> None:
    """One client: send, wait for the answer, repeat until the window ends; reconnect on failures."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < tally.stop_at:
        started = time.perf_counter()
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            await writer.drain()
            status, body, keep_alive = await asyncio.wait_for(
                read_response(reader), REQUEST_TIMEOUT_S
            )
            tally.record(conn, started, time.perf_counter(), str(status), body)
            if not keep_alive:
                writer.close()
                reader = writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            tally.record(conn, started, time.perf_counter(), type(exc).__name__, b"")
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


async def run_level(
    url: str, triplet: Triplet, *, concurrency: int, duration: float, warmup: float
) -> dict[str, object]:
    """Drive one concurrency level and summarise the measured window."""
    body, content_type = triplet.multipart()
    host, port, request = build_request(url, body, content_type)
    tally = Tally(concurrency, time.perf_counter(), warmup, duration)
    cpu_before = time.process_time()
    await asyncio.gather(*(connection(i, host, port, request, tally) for i in range(concurrency)))
    latencies, errors = tally.measured()
    start, _ = tally.window()
    return {
        "concurrency": concurrency,
        "duration_s": duration,
        "warmup_s": round(start - tally.begin, 3),
        "ok": len(latencies),
        "errors": errors,
        "error_count": sum(errors.values()),
        "completed_total": len(tally.events),
        "throughput_rps": round(len(latencies) / duration, 3),
        **summarize_ms(latencies),
        "loadgen_cpu_s": round(time.process_time() - cpu_before, 3),
        "sample_response": tally.sample,
        "latencies_ms": [round(v * 1000.0, 3) for v in latencies],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run one level, write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--images", type=Path, required=True, help="dir with anchor/img1/img2.jpg")
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True, help="measured seconds")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="at least this many unrecorded seconds first"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    images = {name: (args.images / f"{name}.jpg").read_bytes() for name in FIELDS}
    result = asyncio.run(
        run_level(
            args.url,
            Triplet(images, str(args.images)),
            concurrency=args.concurrency,
            duration=args.duration,
            warmup=args.warmup,
        )
    )
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
