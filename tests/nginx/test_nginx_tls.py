"""TLS versions and ciphers, and the HTTP -> HTTPS redirect, against real nginx."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from devstack import processes
from tests.nginx.standin import Front

pytestmark = [pytest.mark.e2e]

# The client must be willing to speak TLS 1.1 and CBC suites itself (OpenSSL 3's default security
# level refuses them client-side), so that a refusal can only come from the server.
PERMISSIVE = "DEFAULT:@SECLEVEL=0"
LEGACY_CBC_SUITES = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"


def handshake(
    port: int, version: ssl.TLSVersion, *, ciphers: str = PERMISSIVE, cafile: Path | None = None
) -> str:
    """Connect with exactly one TLS version; return the negotiated version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers(ciphers)
    context.minimum_version = version
    context.maximum_version = version
    if cafile is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(cafile=str(cafile))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_sock,
    ):
        return str(tls_sock.version())


@pytest.mark.parametrize(
    ("version", "name"),
    [(ssl.TLSVersion.TLSv1_3, "TLSv1.3"), (ssl.TLSVersion.TLSv1_2, "TLSv1.2")],
)
def test_tls_12_and_13_are_accepted_with_a_verified_certificate(
    front: Front, version: ssl.TLSVersion, name: str
) -> None:
    assert handshake(front.config.listen_https_port, version, cafile=front.cert) == name


# Offering TLS 1.1 on purpose: Python deprecates the constant, these tests need it.
TLS_11_ON_PURPOSE = pytest.mark.filterwarnings(
    "ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning"
)


@TLS_11_ON_PURPOSE
def test_tls_11_is_refused_by_the_server(front: Front) -> None:
    with pytest.raises(ssl.SSLError) as refused:
        handshake(front.config.listen_https_port, ssl.TLSVersion.TLSv1_1)
    # The server's protocol_version alert, not a client-side "no protocols available".
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION"


def test_tls_12_cbc_suites_are_refused_by_the_server(front: Front) -> None:
    with pytest.raises(ssl.SSLError) as refused:
        handshake(front.config.listen_https_port, ssl.TLSVersion.TLSv1_2, ciphers=LEGACY_CBC_SUITES)
    assert refused.value.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE"


@contextmanager
def openssl_server(cert_pair: tuple[Path, Path], protocol: str, suites: str) -> Iterator[int]:
    """openssl s_server speaking only `protocol` (e.g. -tls1_1) with `suites`: its port."""
    openssl = shutil.which("openssl")
    assert openssl is not None
    port = processes.free_port()
    cert, key = cert_pair
    proc = subprocess.Popen(
        [openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key",
         str(key), protocol, "-cipher", suites, "-quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        processes.wait_until(
            lambda: processes.port_accepts("127.0.0.1", port) or proc.poll() is not None,
            timeout=10,
            what="openssl s_server",
        )
        yield port
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture()
def legacy_server(cert_pair: tuple[Path, Path]) -> Iterator[int]:
    """openssl s_server speaking only TLS 1.1 with CBC suites: proves our client can offer them."""
    with openssl_server(cert_pair, "-tls1_1", LEGACY_CBC_SUITES) as port:
        yield port


@TLS_11_ON_PURPOSE
def test_the_refusals_above_come_from_the_server_not_the_client(legacy_server: int) -> None:
    """Control: the same client code does complete a TLS 1.1 CBC handshake where one is offered."""
    assert handshake(legacy_server, ssl.TLSVersion.TLSv1_1, ciphers=LEGACY_CBC_SUITES) == "TLSv1.1"


def test_http_redirects_permanently_to_the_same_url_on_https(front: Front) -> None:
    response = httpx.get(f"{front.http_url}/some/path?x=1&y=2", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == f"{front.https_url}/some/path?x=1&y=2"
    with front.client() as client:
        followed = client.get(response.headers["location"])
    assert followed.status_code == 200
    assert followed.json()["path"] == "/some/path?x=1&y=2"


def test_plain_http_on_the_tls_port_is_redirected(front: Front) -> None:
    response = httpx.get(f"http://127.0.0.1:{front.config.listen_https_port}/readyz")
    assert response.status_code == 301
    assert response.headers["location"] == f"{front.https_url}/readyz"


def test_redirect_to_the_standard_port_omits_it(start_front: Callable[..., Front]) -> None:
    """In the task the public port is 443, so Location carries no port."""
    public = start_front(public_https_port=443)
    response = httpx.get(f"{public.http_url}/x", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "https://127.0.0.1/x"
