"""TLS 1.0 is refused by nginx's protocol setting itself, not because no cipher happens to fit it."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import processes
from tests.nginx.standin import Front
from tests.nginx.test_nginx_tls import PERMISSIVE, handshake

pytestmark = [
    pytest.mark.e2e,
    # Offering TLS 1.0 on purpose: Python deprecates the constant, these tests need it.
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1 is deprecated:DeprecationWarning"),
]

# A TLS 1.0 suite (TLS 1.0 has no AEAD suites), at the security level that still allows TLS 1.0.
TLS_10_SUITE = "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"


def test_tls_10_is_refused_by_the_server_with_a_protocol_version_alert(front: Front) -> None:
    with pytest.raises(ssl.SSLError) as refused:
        handshake(front.config.listen_https_port, ssl.TLSVersion.TLSv1)
    # The server's protocol_version alert: a server that took TLS 1.0 but had no suite for it
    # would answer handshake_failure instead.
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION"


@pytest.fixture()
def tls_10_server(cert_pair: tuple[Path, Path]) -> Iterator[int]:
    """openssl s_server speaking only TLS 1.0: proves our client can offer it."""
    openssl = shutil.which("openssl")
    assert openssl is not None
    port = processes.free_port()
    cert, key = cert_pair
    proc = subprocess.Popen(
        [openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key",
         str(key), "-tls1", "-cipher", TLS_10_SUITE, "-quiet"],
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


def test_the_tls_10_refusal_comes_from_the_server_not_the_client(tls_10_server: int) -> None:
    """Control: the same client completes a TLS 1.0 handshake where one is offered."""
    assert handshake(tls_10_server, ssl.TLSVersion.TLSv1, ciphers=PERMISSIVE) == "TLSv1"
