"""Steady /predict traffic for the stop-under-load fault, with each request's fate recorded.

Half the workers upload at once, half trickle their upload over `trickle_s` seconds, so that when
the task is stopped some requests are mid-body, others mid-inference. Each request uses a fresh
connection, as the load balancer would open one to a target it still routes to. `deregister()` is
the load balancer's side of an ECS stop: no new requests start; those in flight must be answered.
"""

from __future__ import annotations

import ssl
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Outcome:
    """One request: when it ran, and whether it was answered (with which status) or cut off."""

    started: float
    ended: float
    status: int | None
    error: str | None
    trickled: bool

    def in_flight_at(self, moment: float) -> bool:
        """Whether the request was under way at `moment`."""
        return self.started < moment < self.ended


@dataclass
class Load:
    """Worker threads posting the same three images to /predict until deregistered."""

    url: str
    files: Mapping[str, bytes]
    headers: Mapping[str, str]
    verify: ssl.SSLContext
    workers: int = 4
    trickle_s: float = 2.0
    outcomes: list[Outcome] = field(default_factory=list)
    _deregistered: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start the workers."""
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, args=(index % 2 == 1,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def answered(self) -> int:
        """Requests answered so far."""
        with self._lock:
            return sum(1 for o in self.outcomes if o.status is not None)

    def deregister(self) -> None:
        """Start no new request (the target left the load balancer)."""
        self._deregistered.set()

    def join(self, timeout: float) -> None:
        """Wait for the requests in flight to end."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _work(self, trickle: bool) -> None:
        body, content_type = _multipart(self.files)
        while not self._deregistered.is_set():
            headers = {
                **self.headers,
                "Content-Type": content_type,
                "Content-Length": str(len(body)),
            }
            started = time.monotonic()
            status: int | None = None
            error: str | None = None
            try:
                with httpx.Client(verify=self.verify, timeout=60.0) as client:
                    content = _trickle(body, self.trickle_s) if trickle else body
                    status = client.post(self.url, content=content, headers=headers).status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self.outcomes.append(Outcome(started, time.monotonic(), status, error, trickle))


def _multipart(files: Mapping[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body of JPEG files (built here so it can be trickled)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _trickle(body: bytes, seconds: float, pieces: int = 10) -> Iterator[bytes]:
    """The body in `pieces` chunks spread over `seconds`."""
    size = -(-len(body) // pieces)
    for offset in range(0, len(body), size):
        yield body[offset : offset + size]
        time.sleep(seconds / pieces)
