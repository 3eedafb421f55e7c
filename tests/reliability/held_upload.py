"""An upload that stops half-way until released: a request provably in flight at the server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.reliability.corpus import FIELDS
from tests.support import needs


def multipart_body(images: list[bytes], boundary: str = "held") -> tuple[bytes, str]:
    """A /predict form as bytes, and its Content-Type."""
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{field}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + data
        + b"\r\n"
        for field, data in zip(FIELDS, images, strict=True)
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class HeldUpload(threading.Thread):
    """POST /predict on its own connection: the first half of the body, then wait for release()."""

    def __init__(
        self, base_url: str, images: list[bytes], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(daemon=True)
        self.body, content_type = multipart_body(images)
        self.base_url = base_url
        self.headers = {"Content-Type": content_type, **(headers or {})}
        self.half_sent = threading.Event()
        self._released = threading.Event()
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        self.finished_at: float | None = None

    def release(self) -> None:
        self._released.set()

    def _stream(self) -> Iterator[bytes]:
        middle = len(self.body) // 2
        yield self.body[:middle]
        self.half_sent.set()
        self._released.wait(timeout=120)
        yield self.body[middle:]

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=60.0) as client:
                self.response = client.post(
                    "/predict", content=self._stream(), headers=self.headers
                )
        except httpx.HTTPError as exc:
            self.error = exc
        finally:
            self.finished_at = time.monotonic()


def wait_drained(port: int, timeout: float = 10.0) -> bool:
    """Wait until no byte to or from `port` waits in a kernel queue (/proc/net/tcp).

    Then everything the clients have sent so far is in the server process's own memory.
    """
    needs.linux_proc()
    hex_port = f":{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queued = 0
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            cols = line.split()
            if hex_port in (cols[1][-5:], cols[2][-5:]) and cols[3] == "01":  # ESTABLISHED
                tx, rx = (int(q, 16) for q in cols[4].split(":"))
                queued += tx + rx
        if queued == 0:
            return True
        time.sleep(0.05)
    return False
