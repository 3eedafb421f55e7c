"""One HTTP(S) request to an endpoint, optionally through another address (the load balancer's).

`connect_host` is how a release is checked before DNS points at it: the TCP connection goes to the
load balancer's own DNS name while TLS still verifies the certificate for the public name (SNI)
and the Host header carries it, exactly as a client will once DNS is in place.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class Endpoint:
    """Where to send requests, how to trust its certificate and what to add to each request."""

    url: str
    connect_host: str | None = None  # e.g. the ALB's DNS name; None: the URL's own host
    cacert: Path | None = None
    timeout: float = 20.0
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. the test-traffic header

    @property
    def https(self) -> bool:
        """Whether the URL is https."""
        return urlsplit(self.url).scheme == "https"

    @property
    def host(self) -> str:
        """The public name (certificate, SNI, Host header)."""
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        """The URL's port, or the scheme's default."""
        return urlsplit(self.url).port or (443 if self.https else 80)

    def tls_context(self) -> ssl.SSLContext:
        """Verification always on; a CA file only adds trust (the local stack's own certificate)."""
        return ssl.create_default_context(cafile=str(self.cacert) if self.cacert else None)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, lower-case headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def error_code(self) -> str | None:
        """`error.code` of our JSON error body, if it is one."""
        body = self.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = body["error"].get("code")
            return None if code is None else str(code)
        return None


class _RoutedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to `connect_host`, with SNI and certificate checks for the public name."""

    def __init__(
        self, host: str, port: int, connect_host: str, *, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._connect_host = connect_host

    def connect(self) -> None:
        raw = socket.create_connection((self._connect_host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


class _RoutedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to `connect_host`, with the public name in the Host header."""

    def __init__(self, host: str, port: int, connect_host: str, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._connect_host = connect_host

    def connect(self) -> None:
        self.sock = socket.create_connection((self._connect_host, self.port), self.timeout)


def connection(endpoint: Endpoint) -> http.client.HTTPConnection:
    """A connection to the endpoint (not yet opened)."""
    connect_host = endpoint.connect_host or endpoint.host
    if endpoint.https:
        return _RoutedHTTPSConnection(
            endpoint.host,
            endpoint.port,
            connect_host,
            timeout=endpoint.timeout,
            context=endpoint.tls_context(),
        )
    return _RoutedHTTPConnection(
        endpoint.host, endpoint.port, connect_host, timeout=endpoint.timeout
    )


def fetch(
    endpoint: Endpoint,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """One request; an HTTP error status is an answer, an unreachable endpoint an OSError."""
    base = urlsplit(endpoint.url).path.rstrip("/")
    sent = {**endpoint.headers, **(headers or {})}
    if body is not None:
        sent.setdefault("Content-Type", "application/json")
    conn = connection(endpoint)
    try:
        conn.request(method, base + path, body=body, headers=sent)
        response = conn.getresponse()
        return Answer(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        conn.close()
