"""The load generator's measured window and counts, against a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bench.loadgen import Clients, Event, Payload, Tally, run_level

TEXT = [Payload(b"xyz", "text/plain")]


class Answers(BaseHTTPRequestHandler):
    """200 for /ok, 503 for anything else, on keep-alive connections."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    received: ClassVar[list[tuple[bytes, str]]] = []  # (body, content type) of every request
    addresses: ClassVar[set[str]] = set()  # every X-Forwarded-For sent

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Answers.received.append((body, self.headers["Content-Type"]))
        Answers.addresses.add(self.headers.get("X-Forwarded-For", ""))
        body = b'{"most_similar": "img1"}' if self.path == "/ok" else b"busy"
        self.send_response(200 if self.path == "/ok" else 503)
        if self.path == "/busy-wait-1s":
            self.send_header("Retry-After", "1")
            body = b'{"error": {"code": "overloaded"}}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_every_answer_in_the_window_is_a_latency(server: str) -> None:
    tally = run_level(f"{server}/ok", TEXT, concurrency=3, duration=0.5, warmup=0.2)
    latencies, errors = tally.measured()
    assert errors == {} and len(latencies) > 10
    assert len(tally.events) > len(latencies)  # the warm-up's answers are not measured
    assert (
        tally.window()[0] >= tally.begin + tally.warmup
        and tally.sample == '{"most_similar": "img1"}'
    )
    assert tally.cpu_s > 0


def test_refusals_are_counted_by_status_not_measured(server: str) -> None:
    latencies, errors = run_level(
        f"{server}/busy", TEXT, concurrency=2, duration=0.3, warmup=0.1
    ).measured()
    assert latencies == [] and errors["503"] > 0


def test_clients_send_every_payload_in_turn_with_its_content_type(server: str) -> None:
    payloads = [
        Payload(b"a", "text/plain"),
        Payload(b"{}", "application/json"),
        Payload(b"c", "x/y"),
    ]
    Answers.received.clear()
    run_level(f"{server}/ok", payloads, concurrency=2, duration=0.3, warmup=0.1)
    sent = Answers.received
    assert set(sent) == {(p.body, p.content_type) for p in payloads}
    counts = [sent.count((p.body, p.content_type)) for p in payloads]
    assert (
        max(counts) - min(counts) <= 2
    )  # in turn: no payload sent more than once per client ahead
    # The two clients start at different places, so the first two requests differ.
    assert sent[0] != sent[1]


def test_nothing_listening_is_an_error_not_a_crash(server: str) -> None:
    dead = server.rsplit(":", 1)[0] + ":9"
    latencies, errors = run_level(dead, TEXT, concurrency=1, duration=0.2, warmup=0.0).measured()
    assert latencies == [] and set(errors) == {"ClientConnectorError"}


def test_tally_window_opens_after_warmup_and_every_first_answer() -> None:
    tally = Tally(concurrency=2, begin=0.0, warmup=2.0, duration=10.0)
    tally.record(0, Event(0.0, 1.0, "200"), b"first")
    assert tally.window_start == float("inf")  # connection 1 has not been answered yet
    tally.record(0, Event(1.0, 3.0, "200"))
    tally.record(1, Event(0.0, 4.0, "200"))  # every connection answered: window is 4..14
    assert tally.window() == (4.0, 14.0) and tally.stop_at == 14.0
    tally.record(0, Event(3.0, 5.0, "200"))
    tally.record(1, Event(4.0, 6.0, "503"))
    tally.record(0, Event(13.0, 15.0, "200"))  # finished after the window
    latencies, errors = tally.measured()
    assert latencies == [4000.0, 2000.0] and errors == {"503": 1}
    assert len(tally.events) == 6 and tally.sample == "first"


def test_tally_without_steady_state_falls_back_to_the_warmup() -> None:
    tally = Tally(concurrency=3, begin=0.0, warmup=1.0, duration=5.0)
    tally.record(0, Event(0.0, 2.0, "ConnectionRefusedError"))
    assert tally.window() == (1.0, 6.0)
    assert tally.measured() == ([], {"ConnectionRefusedError": 1})


def test_a_client_told_to_retry_after_a_second_waits_before_sending_again(server: str) -> None:
    told = run_level(f"{server}/busy-wait-1s", TEXT, concurrency=2, duration=0.5, warmup=0.1)
    untold = run_level(f"{server}/busy", TEXT, concurrency=2, duration=0.5, warmup=0.1)
    assert len(told.events) == 2  # one refusal each: the wait outlasts the measured window
    assert len(untold.events) > 8


def test_error_answers_are_counted_by_code_and_by_whether_they_said_when_to_return(
    server: str,
) -> None:
    bare = run_level(f"{server}/busy", TEXT, concurrency=2, duration=0.3, warmup=0.0)
    assert bare.error_codes() == {"503 no-code": len(bare.events)}
    assert bare.missing_retry_after() == len(bare.events) > 0
    told = run_level(f"{server}/busy-wait-1s", TEXT, concurrency=2, duration=0.3, warmup=0.0)
    assert told.error_codes() == {"503 overloaded": 2} and told.missing_retry_after() == 0


def test_impatient_clients_wait_their_own_time_instead_of_retry_after(server: str) -> None:
    impatient = Clients(retry_wait=0.01)
    tally = run_level(
        f"{server}/busy-wait-1s", TEXT, concurrency=2, duration=0.5, warmup=0.0, clients=impatient
    )
    assert len(tally.events) > 8 and tally.statuses() == {"503": len(tally.events)}


def test_each_client_sends_its_own_headers(server: str) -> None:
    Answers.addresses.clear()
    own = Clients(headers=lambda i: {"X-Forwarded-For": f"198.51.100.{i + 1}"})
    run_level(f"{server}/ok", TEXT, concurrency=3, duration=0.2, warmup=0.0, clients=own)
    assert Answers.addresses == {"198.51.100.1", "198.51.100.2", "198.51.100.3"}


def test_clients_stop_sending_once_told_to(server: str) -> None:
    stop = threading.Event()
    stop.set()
    tally = run_level(
        f"{server}/ok", TEXT, concurrency=2, duration=60.0, warmup=0.0, clients=Clients(stop=stop)
    )
    assert tally.events == []


def test_in_system_is_the_rate_times_the_mean_latency() -> None:
    tally = Tally(concurrency=1, begin=0.0, warmup=0.0, duration=10.0, ended=10.0)
    for k in range(10):  # one request a second, each 0.5 s long: half a request in the system
        tally.record(0, Event(k, k + 0.5, "200"))
    tally.record(0, Event(9.5, 9.6, "503", "overloaded", retry_after=True))
    assert tally.in_system("200") == pytest.approx(0.5) and tally.in_system("429") == 0.0
    assert tally.summary().startswith("11 requests in 10.0 s; statuses 200: 10, 503: 1")
    assert "200 p50/p95/p99/max 500/500/500/500 ms" in tally.summary()
