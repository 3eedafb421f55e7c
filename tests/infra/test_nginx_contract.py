"""The task definition speaks nginx/'s language: its env names, ports and timeouts."""

from __future__ import annotations

import re

from devstack.nginx import TEMPLATE_VARIABLES
from infra.contract import ALB_IDLE_TIMEOUT_S, APP_PORT, DEREGISTRATION_DELAY_S, NGINX_HTTPS_PORT
from tests.infra.conftest import REPO, Synth
from tests.infra.test_cdk_service import containers, env

ENTRYPOINT = (REPO / "nginx" / "entrypoint").read_text()
TEMPLATE = (REPO / "nginx" / "nginx.conf.template").read_text()


def entrypoint_defaults() -> dict[str, str]:
    return dict(re.findall(r': "\$\{([A-Z_]+):=([^}]*)\}"', ENTRYPOINT))


def test_every_variable_infra_passes_is_one_nginx_substitutes(default_synth: Synth) -> None:
    passed = set(env(containers(default_synth)["nginx"]))
    template_names = set(re.findall(r"\$\{([A-Z_]+)\}", TEMPLATE))
    assert passed <= template_names
    assert passed <= set(TEMPLATE_VARIABLES)
    assert passed <= set(entrypoint_defaults())


def test_the_template_proxies_to_the_upstream_and_listens_on_the_https_port() -> None:
    assert "server ${UPSTREAM_HOST}:${UPSTREAM_PORT};" in TEMPLATE
    assert re.search(r"listen \$\{LISTEN_ADDRESS\}:\$\{LISTEN_HTTPS_PORT\} ssl", TEMPLATE)
    defaults = entrypoint_defaults()
    assert defaults["UPSTREAM_PORT"] == str(APP_PORT)
    assert defaults["LISTEN_HTTPS_PORT"] == str(NGINX_HTTPS_PORT)


def test_nginx_timeouts_fit_the_load_balancer(default_synth: Synth) -> None:
    proxy_read = int(
        env(containers(default_synth)["nginx"])["PROXY_READ_TIMEOUT"].removesuffix("s")
    )
    assert proxy_read <= ALB_IDLE_TIMEOUT_S
    assert proxy_read <= DEREGISTRATION_DELAY_S
    # nginx keeps idle client connections longer than the ALB, so the ALB closes them first.
    (keepalive,) = re.findall(
        r"^\s*keepalive_timeout (\d+)s;", TEMPLATE.split("upstream facesim_app")[0], re.M
    )
    assert int(keepalive) > ALB_IDLE_TIMEOUT_S
