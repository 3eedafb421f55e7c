"""The nginx values and the one renderer (nginx/entrypoint): safe values, numbers matching the service."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack import nginx
from devstack.nginx import (
    ENTRYPOINT,
    TEMPLATE_PATH,
    TEMPLATE_VARIABLES,
    NginxConfig,
    local_config,
)
from service.config import Settings
from tests.support import needs

RUN_DIR = Path("/run/facesim")  # never created: these tests only validate values


@pytest.fixture()
def rendered() -> Iterator[Callable[..., str]]:
    """nginx.conf as the local stack renders it (the entrypoint, checked by `nginx -t`)."""
    needs.nginx()
    # Not under pytest's tmp_path: as root, nginx's workers (nobody) must traverse to it.
    run_dir = Path(tempfile.mkdtemp(prefix="facesim-render-"))

    def render(**overrides: object) -> str:
        return nginx.check(local_config(run_dir, **overrides)).read_text()

    yield render
    shutil.rmtree(run_dir, ignore_errors=True)


def test_every_template_variable_has_a_value_and_nginx_variables_survive(
    rendered: Callable[..., str],
) -> None:
    text = rendered()
    assert not re.search(r"\$\{[A-Z_]+\}", text)
    for nginx_variable in ("$binary_remote_addr", "$request_uri", "$http_x_request_id", "$status"):
        assert nginx_variable in text


def test_template_uses_exactly_the_declared_variables() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", TEMPLATE_PATH.read_text()))
    assert used == set(TEMPLATE_VARIABLES)


def test_entrypoint_substitutes_exactly_the_variables_the_stack_sets() -> None:
    entrypoint = ENTRYPOINT.read_text()
    envsubst_call = entrypoint[entrypoint.index("envsubst '") : entrypoint.index("' <")]
    assert set(re.findall(r"\$\{([A-Z_]+)\}", envsubst_call)) == set(TEMPLATE_VARIABLES)


@pytest.mark.parametrize(
    "override",
    [
        {"upstream_host": "127.0.0.1; include /etc/passwd"},
        {"rate_limit_rate": "10r/s\n"},
        {"access_log": "/var/log/a b.log"},
        {"proxy_read_timeout": "30s}"},
    ],
)
def test_values_that_could_inject_directives_are_refused(override: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="not a single safe token"):
        local_config(RUN_DIR, **override)


def test_body_limit_is_the_services_request_limit(rendered: Callable[..., str]) -> None:
    assert f"client_max_body_size {Settings().max_request_bytes};" in rendered()


def test_read_timeout_outlasts_the_services_graceful_shutdown() -> None:
    """CONTRACT: GRACEFUL_TIMEOUT 20 s < proxy_read_timeout 30 s: drained requests get answers."""
    default = NginxConfig.__dataclass_fields__["proxy_read_timeout"].default
    assert default == "30s"
    assert Settings().graceful_timeout < 30


def test_local_defaults_are_the_contract_ports_on_loopback(rendered: Callable[..., str]) -> None:
    text = rendered()
    assert "listen 127.0.0.1:8443 ssl http2 default_server;" in text
    assert "listen 127.0.0.1:8080 default_server;" in text
    assert "server 127.0.0.1:8000;" in text
    assert "rate=10r/s;" in text
    assert "burst=20 nodelay;" in text
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in text


def blocks(text: str, opening: str) -> list[str]:
    """The bodies of every `opening {` block of an nginx config, nested blocks included."""
    found, at = [], 0
    while (at := text.find(opening + " {", at)) >= 0:
        start = end = at + len(opening) + 2
        depth = 1
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        found.append(text[start : end - 1])
        at = end
    return found


def directives(body: str) -> set[str]:
    """A block's own directives (comments dropped, nested blocks left out), one space apart."""
    flat, depth = [], 0
    for line in body.splitlines():
        code = line.split("#", 1)[0].strip()
        if depth == 0 and code and not code.endswith(("{", "}")):
            flat.append(" ".join(code.split()))
        depth += code.count("{") - code.count("}")
    return set(flat)


def test_image_uploads_are_streamed_to_the_app_not_spooled(rendered: Callable[..., str]) -> None:
    """Uploads pass through as they arrive (HTTP/1.1 upstream, no request buffering): the
    privacy tests see the effect (no temp-file warning); this pins the directives themselves."""
    text = rendered()
    (https,) = [b for b in blocks(text, "server") if "ssl_certificate" in b]
    assert "proxy_http_version 1.1;" in directives(https)
    (uploads,) = blocks(https, "location ~ ^/(predict|verify)/?$")
    assert "proxy_request_buffering off;" in directives(uploads)
    assert "proxy_pass http://facesim_app;" in directives(uploads)
    assert "client_body_in_file_only" not in text
