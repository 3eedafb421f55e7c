"""TLS 1.0 is refused by nginx's protocol setting itself, not because no cipher happens to fit it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nginx.standin import Front
from tests.nginx.test_nginx_tls import PERMISSIVE, handshake, openssl_server

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
    with openssl_server(cert_pair, "-tls1", TLS_10_SUITE) as port:
        yield port


def test_the_tls_10_refusal_comes_from_the_server_not_the_client(tls_10_server: int) -> None:
    """Control: the same client completes a TLS 1.0 handshake where one is offered."""
    assert handshake(tls_10_server, ssl.TLSVersion.TLSv1, ciphers=PERMISSIVE) == "TLSv1"
