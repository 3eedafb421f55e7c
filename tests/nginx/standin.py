"""A stand-in for the app behind nginx, and a handle on one running nginx (tests only)."""

from __future__ import annotations

import json
import ssl
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from devstack.nginx import NginxConfig

STATIC_JS = ("/* facesim stand-in asset */\n" + "function f(a) { return a + 1; }\n" * 300).encode()


class StandInServer(ThreadingHTTPServer):
    """The stand-in's server: nginx hanging up on it (a 413 mid-upload, a read timeout) is normal."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet about closed connections; anything else is printed with its traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class StandInHandler(BaseHTTPRequestHandler):
    """Echoes what nginx forwarded; a few paths act like the app's edge cases."""

    protocol_version = "HTTP/1.1"  # keep-alive, so upstream connection reuse is observable

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows nginx's logs when something fails."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _drain_chunked(self) -> None:
        """Read a chunked request body to its end, as the app's server does."""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return
            self.rfile.read(size)
            self.rfile.readline()

    def _answer(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._drain_chunked()  # what nginx sends when it streams an upload (image routes)
        length = int(self.headers.get("Content-Length") or 0)
        remaining = length
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 20)))
        path = self.path.split("?", 1)[0]
        if path == "/static/app.js":
            self._send(200, STATIC_JS, "application/javascript")
        elif path == "/slow":
            time.sleep(2.5)
            self._send(200, b'{"slow": true}', "application/json")
        elif path == "/upstream-503":
            body = b'{"error": {"code": "not_ready", "field": null, "message": "warming up"}}'
            self._send(503, body, "application/json", {"Retry-After": "7"})
        elif path == "/app-headers":
            headers = {"X-Frame-Options": "SAMEORIGIN", "X-Request-ID": "set-by-app"}
            self._send(200, b"{}", "application/json", headers)
        else:
            echo = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_length": length,
                "peer_port": self.client_address[1],
            }
            self._send(200, json.dumps(echo).encode(), "application/json")

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@dataclass(frozen=True)
class Front:
    """One running nginx: its config, its URLs and a verifying HTTPS client factory."""

    config: NginxConfig
    cert: Path

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.config.listen_https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.config.listen_http_port}"

    @property
    def access_log(self) -> Path:
        return Path(self.config.access_log)

    def client(self, **kwargs: object) -> httpx.Client:
        """An HTTPS client that trusts only the generated certificate (verification stays on)."""
        context = ssl.create_default_context(cafile=str(self.cert))
        return httpx.Client(base_url=self.https_url, verify=context, timeout=20.0, **kwargs)  # type: ignore[arg-type]

    def log_entry(self, request_id: str) -> dict[str, object]:
        """The JSON access-log line of the request with this id (written after the response)."""
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            for line in self.access_log.read_text().splitlines():
                entry = json.loads(line)
                if entry["request_id"] == request_id:
                    return dict(entry)
            time.sleep(0.05)
        raise AssertionError(f"no access-log line with request_id {request_id}")
