"""The host's pip configuration, lent read-only to `pip install` inside an image build.

Builds reach the package index over the host's network; behind a TLS-inspecting proxy pip needs the
host's CA bundle, and a host with a local wheel mirror should use it. So the rehearsal writes the
host's effective pip settings (`pip config list`: every file plus PIP_* variables) into one pip.conf
and mounts it, with the local files and directories it names, read-only into the build stages. It is
never baked into an image: the final stage builds without these mounts (rehearse/images.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

# Keys whose values are local paths or file:// URLs that must exist inside the build too.
PATH_KEYS = frozenset(
    {
        "cert",
        "client-cert",
        "constraint",
        "find-links",
        "extra-index-url",
        "index-url",
        "requirement",
    }
)
# Keys that change what the build's pip resolves or trusts; the rest (verbosity, colours) stay home.
KEPT_KEYS = PATH_KEYS | {
    "trusted-host",
    "default-timeout",
    "timeout",
    "retries",
    "proxy",
    "disable-pip-version-check",
    "only-binary",
    "prefer-binary",
}
# Inside the build the CA bundle is at Debian's path, where the stand-in images' OpenSSL looks too.
IMAGE_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
IMAGE_PIP_CONF = "/etc/pip.conf"

_LINE = re.compile(r"^(?P<section>[^.]+)\.(?P<key>[^=]+)=(?P<value>.*)$")


@dataclass(frozen=True)
class PipMounts:
    """A pip.conf to write and the read-only `-v host:image:ro` mounts a build stage needs."""

    conf_text: str
    mounts: tuple[tuple[Path, str], ...]

    def volume_args(self, conf_path: Path) -> list[str]:
        """`-v` arguments for podman build, the generated pip.conf included."""
        args = ["-v", f"{conf_path}:{IMAGE_PIP_CONF}:ro"]
        for host, inside in self.mounts:
            args += ["-v", f"{host}:{inside}:ro"]
        return args


def host_pip_settings(python: str = sys.executable) -> dict[str, str]:
    """`pip config list` of the host as {key: value}; PIP_* variables override the files."""
    result = subprocess.run(
        [python, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    files: dict[str, str] = {}
    env: dict[str, str] = {}
    for line in result.stdout.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        section, key = match["section"], match["key"]
        value = match["value"].strip().strip("'\"")
        if section == ":env:":
            env[key] = value
        elif section in ("global", "install"):
            files[key] = value
    return {**files, **env}


def pip_mounts(settings: dict[str, str]) -> PipMounts:
    """The pip.conf for the build and the host paths it refers to (missing paths are left out)."""
    lines = [
        "# Written by rehearse/pipconf.py from the host's `pip config list`; build-time only.",
        "[global]",
    ]
    mounts: dict[Path, str] = {}
    for key in sorted(settings):
        if key not in KEPT_KEYS:
            continue
        value = settings[key]
        if key == "cert":
            host = Path(value)
            if host.is_file():
                mounts[host] = IMAGE_CA_BUNDLE
                lines.append(f"cert = {IMAGE_CA_BUNDLE}")
            continue
        if key in PATH_KEYS:
            kept = []
            for item in value.split():
                local = _local_path(item)
                if local is None:
                    kept.append(item)
                elif local.exists():
                    root = _mirror_root(local) if key.endswith("index-url") else local
                    mounts[root] = str(root)
                    kept.append(item)
            if not kept:
                continue
            value = " ".join(kept)
        lines.append(f"{key} = {value}")
    return PipMounts(conf_text="\n".join(lines) + "\n", mounts=tuple(sorted(mounts.items())))


def _mirror_root(index: Path) -> Path:
    """A local simple index links its files relatively (`../../files/x.whl`): mount the mirror."""
    return index.parent if index.name == "simple" else index


def _local_path(item: str) -> Path | None:
    """The local path an option value names (a path or file:// URL), or None for a remote URL."""
    parsed = urlparse(item)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme in ("http", "https"):
        return None
    return Path(item) if item.startswith("/") else None
