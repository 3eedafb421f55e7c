"""Security headers, request ids, forwarded headers, JSON access log and gzip, via real nginx."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.nginx.standin import STATIC_JS, Front

pytestmark = [pytest.mark.e2e]


def csp_directives(header: str) -> dict[str, list[str]]:
    """'a x y; b z' -> {'a': ['x', 'y'], 'b': ['z']}."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_security_headers_are_on_proxied_responses(front: Front) -> None:
    with front.client() as client:
        headers = client.get("/").headers
    assert headers["strict-transport-security"] == "max-age=31536000"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "camera=(self)" in headers["permissions-policy"]
    assert headers["server"] == "nginx"  # no version


def test_page_csp_allows_only_same_origin_and_no_inline_script(front: Front) -> None:
    with front.client() as client:
        for path in ("/", "/static/app.js"):
            csp = csp_directives(client.get(path).headers["content-security-policy"])
            assert csp["default-src"] == ["'self'"]
            assert csp["script-src"] == ["'self'"]
            assert csp["style-src"] == ["'self'"]
            assert csp["img-src"] == ["'self'", "data:", "blob:"]
            assert csp["media-src"] == ["'self'", "blob:"]
            assert csp["frame-ancestors"] == ["'none'"]
            assert csp["object-src"] == ["'none'"]
            assert csp["base-uri"] == ["'none'"]


def test_docs_csp_allows_swagger_inline_bootstrap_but_nothing_external(front: Front) -> None:
    with front.client() as client:
        csp = csp_directives(client.get("/docs").headers["content-security-policy"])
    assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert not [v for values in csp.values() for v in values if "://" in v]


def test_nginx_is_the_only_source_of_security_headers(front: Front) -> None:
    """The app's own X-Frame-Options / X-Request-ID are replaced, never duplicated."""
    with front.client() as client:
        response = client.get("/app-headers", headers={"X-Request-ID": "from-client"})
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    assert response.headers.get_list("x-request-id") == ["from-client"]


def test_request_id_is_passed_through_to_app_response_and_log(front: Front) -> None:
    with front.client() as client:
        response = client.get("/echo", headers={"X-Request-ID": "req-42.a:b_c"})
    assert response.json()["headers"]["x-request-id"] == "req-42.a:b_c"
    assert response.headers["x-request-id"] == "req-42.a:b_c"
    assert front.log_entry("req-42.a:b_c")["path"] == "/echo"


def test_request_id_is_generated_when_absent(front: Front) -> None:
    with front.client() as client:
        response = client.get("/echo")
    generated = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert response.json()["headers"]["x-request-id"] == generated


@pytest.mark.parametrize("bad", ["has space", "x" * 129, 'quote"inside', "semi;colon"])
def test_malformed_request_id_is_replaced(front: Front, bad: str) -> None:
    with front.client() as client:
        response = client.get("/echo", headers={"X-Request-ID": bad})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert response.json()["headers"]["x-request-id"] == response.headers["x-request-id"]


def test_app_sees_the_client_address_https_and_the_host_with_port(front: Front) -> None:
    with front.client() as client:
        seen = client.get("/echo").json()["headers"]
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-real-ip"] == "127.0.0.1"
    assert seen["host"] == f"127.0.0.1:{front.config.listen_https_port}"


def test_access_log_is_json_without_body_or_query(front: Front) -> None:
    marker = "BODY-MARKER-7f3a"
    with front.client() as client:
        client.post(
            "/echo?secret=QUERY-MARKER",
            content=marker.encode() * 100,
            headers={"X-Request-ID": "log-check-1"},
        )
    entry = front.log_entry("log-check-1")
    assert entry["method"] == "POST"
    assert entry["path"] == "/echo"
    assert entry["status"] == 200
    assert entry["tls"] in {"TLSv1.2", "TLSv1.3"}
    assert entry["upstream_status"] == "200"
    log_text = front.access_log.read_text()
    assert marker not in log_text
    assert "QUERY-MARKER" not in log_text


def test_page_assets_are_gzipped(front: Front) -> None:
    with (
        front.client() as client,
        client.stream("GET", "/static/app.js", headers={"Accept-Encoding": "gzip"}) as response,
    ):
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert len(raw) < len(STATIC_JS) / 3
    assert gzip.decompress(raw) == STATIC_JS


def test_upstream_connections_are_kept_alive(front: Front) -> None:
    """Consecutive requests reach the app over the same upstream connection."""
    ports = []
    for _ in range(3):
        with front.client() as client:  # a new client connection each time
            ports.append(client.get("/echo").json()["peer_port"])
    assert len(set(ports)) == 1
