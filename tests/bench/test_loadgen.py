"""The load generator's HTTP parsing and the run's figures, without starting anything."""

from __future__ import annotations

import asyncio
import math

import pytest

from bench.figures import headline, verdicts
from bench.loadgen import Tally, build_request, read_response
from bench.stats import percentile


def parse(raw: bytes) -> tuple[int, bytes, bool]:
    """read_response over an in-memory stream."""

    async def go() -> tuple[int, bytes, bool]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_response(reader)

    return asyncio.run(go())


def test_read_response_with_content_length() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
    assert parse(raw) == (200, b"{}", True)


def test_read_response_chunked_and_closing() -> None:
    raw = (
        b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
        b"\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert parse(raw) == (503, b"abcde", False)


def test_build_request_is_keep_alive_post() -> None:
    host, port, request = build_request("http://127.0.0.1:9/predict", b"xyz", "text/plain")
    assert (host, port) == ("127.0.0.1", 9)
    assert request.startswith(b"POST /predict HTTP/1.1\r\n")
    assert b"Content-Length: 3\r\n" in request and request.endswith(b"\r\n\r\nxyz")


def test_tally_window_opens_after_warmup_and_every_first_answer() -> None:
    tally = Tally(concurrency=2, begin=0.0, warmup=2.0, duration=10.0)
    tally.record(0, 0.0, 1.0, "200", b"first")
    assert tally.window_start == float("inf")  # connection 1 has not been answered yet
    tally.record(0, 1.0, 3.0, "200", b"")
    tally.record(1, 0.0, 4.0, "200", b"")  # every connection answered: window is 4..14
    assert tally.window() == (4.0, 14.0) and tally.stop_at == 14.0
    tally.record(0, 3.0, 5.0, "200", b"")
    tally.record(1, 4.0, 6.0, "503", b"")
    tally.record(0, 13.0, 15.0, "200", b"")  # finished after the window
    latencies, errors = tally.measured()
    assert latencies == [4.0, 2.0] and errors == {"503": 1}
    assert len(tally.events) == 6 and tally.sample == "first"


def test_tally_without_steady_state_falls_back_to_the_warmup() -> None:
    tally = Tally(concurrency=3, begin=0.0, warmup=1.0, duration=5.0)
    tally.record(0, 0.0, 2.0, "ConnectionRefusedError", b"")
    assert tally.window() == (1.0, 6.0)
    assert tally.measured() == ([], {"ConnectionRefusedError": 1})


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))


def test_headline_ratios_and_verdicts() -> None:
    def level(p50: float, p99: float, rps: float) -> dict[str, float]:
        return {"p50_ms": p50, "p99_ms": p99, "throughput_rps": rps}

    results = {
        "inprocess": {"pipeline": {"p50_ms": 40.0}},
        "startup": {"ready_seconds": 6.0},
        "servers": {
            "facesim": {
                "levels": {"1": level(44.0, 50.0, 20.0), "16": level(600.0, 780.0, 27.0)},
                "peak_rss_mb": 700.0,
                "rss_after_warmup_mb": 650.0,
            },
            "naive": {"levels": {"16": level(1800.0, 2000.0, 9.0)}},
        },
    }
    figures = headline(results)
    assert figures["ratio_p50_c1_vs_inprocess"] == pytest.approx(1.1)
    assert figures["ratio_throughput_c16_vs_naive"] == pytest.approx(3.0)
    assert figures["ratio_throughput_c16_vs_bentoml"] is None
    assert figures["ratio_p99_vs_p50_c16"] == pytest.approx(1.3)
    assert figures["rss_mb_per_worker"] == 700.0
    judged = verdicts(figures)
    assert judged["ready_seconds"]["met"] is True
    assert judged["ratio_throughput_c16_vs_bentoml"]["met"] is None
