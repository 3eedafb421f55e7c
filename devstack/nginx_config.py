"""The values of nginx/nginx.conf.template's ${VARIABLES} for the local stack and the tests.

nginx/entrypoint (the container's) is the one renderer: devstack/nginx.py runs it with these
values in its environment.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from service.paths import REPO_ROOT

TEMPLATE_PATH = REPO_ROOT / "nginx" / "nginx.conf.template"
ENTRYPOINT = REPO_ROOT / "nginx" / "entrypoint"

# The service's MAX_REQUEST_BYTES default (service/config.py); nginx refuses bigger bodies first.
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024

# Values end up inside nginx directives: one token each, so none can add or break a directive.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_./:@+-]+")


@dataclass(frozen=True, kw_only=True)
class NginxConfig:
    """Every ${VARIABLE} of the template; field NAME is variable NAME.upper().

    Defaults are the local stack's; nginx/entrypoint holds the container's (0.0.0.0, logs to
    stdout/stderr, PUBLIC_HTTPS_PORT 443).
    """

    run_dir: Path
    tls_cert: Path
    tls_key: Path
    access_log: str
    error_log: str
    listen_address: str = "127.0.0.1"
    listen_https_port: int = 8443
    listen_http_port: int = 8080
    public_https_port: int = 8443
    upstream_host: str = "127.0.0.1"
    upstream_port: int = 8000
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    proxy_read_timeout: str = "30s"
    rate_limit_rate: str = "10r/s"
    rate_limit_burst: int = 20
    real_ip_from: str = "127.0.0.1"
    worker_processes: str = "1"

    def __post_init__(self) -> None:
        for name, value in self.variables().items():
            if not _SAFE_VALUE.fullmatch(value):
                raise ValueError(
                    f"nginx template value {name}={value!r} is not a single safe token"
                )

    def variables(self) -> dict[str, str]:
        """The template variables and their values as strings."""
        return {
            field.name.upper(): str(getattr(self, field.name)) for field in dataclasses.fields(self)
        }


TEMPLATE_VARIABLES: tuple[str, ...] = tuple(
    field.name.upper() for field in dataclasses.fields(NginxConfig)
)


def local_config(run_dir: Path, **overrides: object) -> NginxConfig:
    """A config whose certificate, pid, temp files and logs all live under run_dir."""
    fields: dict[str, object] = {
        "run_dir": run_dir,
        "tls_cert": run_dir / "tls" / "cert.pem",
        "tls_key": run_dir / "tls" / "key.pem",
        "access_log": str(run_dir / "logs" / "access.log"),
        "error_log": str(run_dir / "logs" / "error.log"),
    }
    fields.update(overrides)
    return NginxConfig(**fields)  # type: ignore[arg-type]
