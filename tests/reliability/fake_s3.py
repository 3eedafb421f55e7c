"""A misbehaving S3 endpoint on loopback: throttles, stalls, or serves after a few refusals.

boto3 reaches it through AWS_ENDPOINT_URL (path-style, as with moto's server). It records every
request so a test can count the attempts and their spacing.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


@dataclass
class Behaviour:
    """How the endpoint answers: `refuse` requests get 503 SlowDown, each after `stall` seconds."""

    objects: dict[str, bytes] = field(default_factory=dict)  # "bucket/key" -> body
    refuse: int = 10**9  # the first `refuse` requests are throttled; the rest are served
    stall: float = 0.0  # seconds before answering anything (longer than S3_READ_TIMEOUT: a stall)
    # (time.monotonic(), method, path) of every request received
    requests: list[tuple[float, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads `behaviour.requests`."""

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def _answer(self, *, with_body: bool) -> None:
            with behaviour.lock:
                behaviour.requests.append((time.monotonic(), self.command, self.path))
                refused = len(behaviour.requests) <= behaviour.refuse
            if behaviour.stall:
                time.sleep(behaviour.stall)
            body = behaviour.objects.get(self.path.split("?", 1)[0].lstrip("/"))
            if refused:
                self._send(503, SLOW_DOWN, "application/xml", with_body)
            elif body is None:
                self._send(404, b"", "application/xml", with_body)
            else:
                self._send(200, body, "application/octet-stream", with_body)

        def _send(self, status: int, body: bytes, ctype: str, with_body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"')
            self.send_header("Last-Modified", formatdate(usegmt=True))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

    return Handler


@contextmanager
def fake_s3(behaviour: Behaviour) -> Iterator[str]:
    """Serve `behaviour` on a free loopback port in a thread; yields the endpoint URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
