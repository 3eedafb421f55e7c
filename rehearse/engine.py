"""Podman as this project's machines need it, in storage of its own, so it never touches a user's images.

The settings these machines need (issue 14) live in rehearse/containers.conf, passed by
CONTAINERS_CONF: runc (crun refuses their hybrid cgroup layout), netavark (the default CNI plugins
are missing), ulimits no higher than the VM allows, no systemd. The storage (images, layers,
containers, networks) is under .cache/rehearse/, because the stand-in bases are tagged with public
names (`python:3.11-slim-bookworm`, rehearse/bases.py) and must not shadow a user's real ones.
A machine with Docker needs none of this: `docker compose up` uses compose.yaml as it is.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from service.paths import REPO_ROOT as REPO_ROOT

DEFAULT_ROOT = REPO_ROOT / ".cache" / "rehearse"
CONTAINERS_CONF_TEMPLATE = Path(__file__).with_name("containers.conf")


class EngineError(RuntimeError):
    """A podman command failed; the message has the command and its output."""


class EngineUnavailable(RuntimeError):
    """Podman cannot run containers on this machine; the message says why."""


@dataclass(frozen=True)
class Engine:
    """One storage: the podman configuration files and the directories they name."""

    root: Path = DEFAULT_ROOT

    @property
    def run_dir(self) -> Path:
        """Volatile state (runroot, tmp_dir): short, outside the checkout, one per storage."""
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]
        return Path("/run") / f"facesim-rehearse-{digest}"

    def env(self) -> dict[str, str]:
        """The environment every podman (and podman-compose) call gets: this storage, nothing else."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERS_")}
        env["CONTAINERS_CONF"] = str(self.root / "containers.conf")
        env["CONTAINERS_STORAGE_CONF"] = str(self.root / "storage.conf")
        return env

    def default_ulimits(self) -> list[str]:
        """containers.conf's default ulimits ("nofile=20000:20000", ...)."""
        conf = tomllib.loads(CONTAINERS_CONF_TEMPLATE.read_text())
        return [str(u) for u in conf["containers"]["default_ulimits"]]

    def configure(self) -> None:
        """Write the two configuration files (cheap; done before every use so edits take effect)."""
        (self.root / "networks").mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        conf = CONTAINERS_CONF_TEMPLATE.read_text()
        conf = conf.replace("@TMP_DIR@", str(self.run_dir / "libpod"))
        conf = conf.replace("@NETWORK_CONFIG_DIR@", str(self.root / "networks"))
        _write_if_changed(self.root / "containers.conf", conf)
        storage = (
            "# Written by rehearse/engine.py: the rehearsal's own image store.\n"
            '[storage]\ndriver = "overlay"\n'
            f'graphroot = "{self.root / "storage"}"\nrunroot = "{self.run_dir / "storage"}"\n'
        )
        _write_if_changed(self.root / "storage.conf", storage)

    def podman(
        self, *args: str, timeout: float = 120.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `podman args...` with this storage; raise EngineError with its output if it fails."""
        return run(["podman", *args], env=self.env(), timeout=timeout, check=check)

    def check_available(self) -> None:
        """Raise EngineUnavailable (with the reason) unless rootful podman with runc works here."""
        missing = [tool for tool in ("podman", "runc") if shutil.which(tool) is None]
        if missing:
            raise EngineUnavailable(
                f"{' and '.join(missing)} not installed (scripts/install_system_deps.sh installs "
                "them on Debian)"
            )
        if os.geteuid() != 0:
            # Rootless podman needs a user namespace and slirp4netns/pasta, which CI's
            # unprivileged containers do not offer; the VMs we run it on are root.
            raise EngineUnavailable("the local stack runs under rootful podman (run it as root)")
        self.configure()
        try:
            info = self.podman("info", "--format", "{{.Host.OCIRuntime.Name}}", timeout=60)
        except (EngineError, subprocess.TimeoutExpired, OSError) as exc:
            raise EngineUnavailable(f"`podman info` fails here: {exc}") from exc
        if info.stdout.strip() != "runc":
            raise EngineUnavailable(f"podman uses {info.stdout.strip()!r}, not runc")

    def reset(self) -> None:
        """Remove every image, container and layer of this storage, then the directory."""
        if (self.root / "storage").exists() and shutil.which("podman"):
            self.configure()
            self.podman("system", "reset", "--force", timeout=600, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def run(
    argv: Sequence[str], *, env: Mapping[str, str], timeout: float, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run podman or podman-compose in the repository; EngineError with its output if it fails."""
    result = subprocess.run(
        argv, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise EngineError(
            f"{shlex.join(argv)} exited {result.returncode}:\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
