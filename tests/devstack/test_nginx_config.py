"""The nginx template renderer: exact substitution, safe values, numbers matching the service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devstack.nginx_config import (
    TEMPLATE_PATH,
    TEMPLATE_VARIABLES,
    NginxConfig,
    local_config,
    render,
)
from service.config import Settings

RUN_DIR = Path("/tmp/facesim-run")


def test_every_template_variable_has_a_value_and_nginx_variables_survive() -> None:
    text = render(local_config(RUN_DIR))
    assert not re.search(r"\$\{[A-Z_]+\}", text)
    for nginx_variable in ("$binary_remote_addr", "$request_uri", "$http_x_request_id", "$status"):
        assert nginx_variable in text


def test_template_uses_exactly_the_declared_variables() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", TEMPLATE_PATH.read_text()))
    assert used == set(TEMPLATE_VARIABLES)


def test_entrypoint_envsubst_list_is_the_renderer_list() -> None:
    entrypoint = (TEMPLATE_PATH.parent / "entrypoint").read_text()
    envsubst_call = entrypoint[entrypoint.index("envsubst '") : entrypoint.index("' <")]
    assert set(re.findall(r"\$\{([A-Z_]+)\}", envsubst_call)) == set(TEMPLATE_VARIABLES)


def test_both_envsubst_forms_are_replaced_and_longer_names_are_not() -> None:
    template = "a ${RUN_DIR} b $RUN_DIR c $RUN_DIRX d $run_dir"
    assert render(local_config(RUN_DIR), template) == (
        "a /tmp/facesim-run b /tmp/facesim-run c $RUN_DIRX d $run_dir"
    )


@pytest.mark.parametrize(
    "override",
    [
        {"upstream_host": "127.0.0.1; include /etc/passwd"},
        {"rate_limit_rate": "10r/s\n"},
        {"access_log": "/tmp/a b.log"},
        {"proxy_read_timeout": "30s}"},
    ],
)
def test_values_that_could_inject_directives_are_refused(override: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="not a single safe token"):
        render(local_config(RUN_DIR, **override))


def test_unknown_template_variable_is_an_error() -> None:
    with pytest.raises(ValueError, match="NOT_A_SETTING"):
        render(local_config(RUN_DIR), "listen ${NOT_A_SETTING};")


def test_body_limit_is_the_services_request_limit() -> None:
    settings = Settings()
    text = render(local_config(RUN_DIR))
    assert f"client_max_body_size {settings.max_request_bytes};" in text


def test_read_timeout_outlasts_the_services_graceful_shutdown() -> None:
    """CONTRACT: GRACEFUL_TIMEOUT 20 s < proxy_read_timeout 30 s: drained requests get answers."""
    default = NginxConfig.__dataclass_fields__["proxy_read_timeout"].default
    assert default == "30s"
    assert Settings().graceful_timeout < 30


def test_local_defaults_are_the_contract_ports_on_loopback() -> None:
    text = render(local_config(RUN_DIR))
    assert "listen 127.0.0.1:8443 ssl http2 default_server;" in text
    assert "listen 127.0.0.1:8080 default_server;" in text
    assert "server 127.0.0.1:8000;" in text
    assert "rate=10r/s;" in text
    assert "burst=20 nodelay;" in text
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in text
