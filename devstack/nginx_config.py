"""Render nginx/nginx.conf.template for the local stack exactly as the container's envsubst does."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "nginx" / "nginx.conf.template"

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


def render(config: NginxConfig, template: str | None = None) -> str:
    """Substitute the template's ${VARIABLES}; ValueError on an unsafe value or an unknown name."""
    text = TEMPLATE_PATH.read_text() if template is None else template
    values = config.variables()
    for name, value in values.items():
        if not _SAFE_VALUE.fullmatch(value):
            raise ValueError(f"nginx template value {name}={value!r} is not a single safe token")
    unknown = sorted(set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", text)) - set(values))
    if unknown:
        raise ValueError(f"nginx template uses variables with no value: {', '.join(unknown)}")
    # envsubst with an explicit list replaces both $NAME and ${NAME}; do the same.
    names = "|".join(sorted(values, key=len, reverse=True))
    pattern = re.compile(rf"\$(?:\{{({names})\}}|({names})(?![A-Za-z0-9_]))")
    return pattern.sub(lambda m: values[m.group(1) or m.group(2)], text)


def write_config(config: NginxConfig) -> Path:
    """Render into run_dir/nginx.conf, creating the directories nginx writes to."""
    for sub in ("logs", "tls"):
        (config.run_dir / sub).mkdir(parents=True, exist_ok=True)
    path = config.run_dir / "nginx.conf"
    path.write_text(render(config))
    return path
