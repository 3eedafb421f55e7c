"""Podman with the rehearsal's own configuration and storage, so it never touches a user's images.

The settings this machine needs (issue 14): runc (crun refuses the hybrid cgroup layout), default
ulimits no higher than the VM allows, no systemd (events to a file, health checks run by
`podman healthcheck run`). They live in rehearse/containers.conf, passed by CONTAINERS_CONF; the
storage (images, layers, containers) in CONTAINERS_STORAGE_CONF under .cache/rehearse/, because the
rehearsal tags its stand-in base images with the public names (`debian:bookworm-slim`) and must not
shadow a user's real ones.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from service.paths import REPO_ROOT as REPO_ROOT

DEFAULT_ROOT = REPO_ROOT / ".cache" / "rehearse"
CONTAINERS_CONF_TEMPLATE = Path(__file__).with_name("containers.conf")
# Labels on everything the rehearsal creates, so leftovers of a crashed run can be found.
OWNER_LABEL = "facesim.rehearse"


class EngineError(RuntimeError):
    """A podman command failed; the message has the command and its output."""


class EngineUnavailable(RuntimeError):
    """Podman cannot run containers on this machine; the message says why."""


@dataclass(frozen=True)
class Engine:
    """One rehearsal storage: the podman configuration files and the directories they name."""

    root: Path = DEFAULT_ROOT

    @property
    def storage_dir(self) -> Path:
        """Images, layers and containers (podman's graphroot)."""
        return self.root / "storage"

    @property
    def run_dir(self) -> Path:
        """Volatile state (runroot, tmp_dir): short, outside the checkout, one per storage."""
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]
        base = Path("/run") if os.geteuid() == 0 else Path(f"/tmp/facesim-rehearse-{os.geteuid()}")
        return base / f"facesim-rehearse-{digest}"

    @property
    def containers_conf(self) -> Path:
        return self.root / "containers.conf"

    @property
    def storage_conf(self) -> Path:
        return self.root / "storage.conf"

    def env(self) -> dict[str, str]:
        """The environment every podman call gets: this storage and configuration, nothing else."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERS_")}
        env["CONTAINERS_CONF"] = str(self.containers_conf)
        env["CONTAINERS_STORAGE_CONF"] = str(self.storage_conf)
        return env

    def configure(self) -> None:
        """Write the two configuration files (cheap; done before every use so edits take effect)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "networks").mkdir(exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        conf = CONTAINERS_CONF_TEMPLATE.read_text()
        for name, value in {
            "TMP_DIR": str(self.run_dir / "libpod"),
            "NETWORK_CONFIG_DIR": str(self.root / "networks"),
        }.items():
            conf = conf.replace("@" + name + "@", value)
        _write_if_changed(self.containers_conf, conf)
        storage = (
            "# Written by rehearse/engine.py: the rehearsal's own image store.\n"
            "[storage]\n"
            'driver = "overlay"\n'
            f'graphroot = "{self.storage_dir}"\n'
            f'runroot = "{self.run_dir / "storage"}"\n'
        )
        _write_if_changed(self.storage_conf, storage)

    def podman(
        self,
        *args: str,
        timeout: float = 120.0,
        check: bool = True,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `podman args...` with this storage; raise EngineError with its output if it fails."""
        result = subprocess.run(
            ["podman", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input_text,
            check=False,
        )
        if check and result.returncode != 0:
            raise EngineError(
                f"podman {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
        return result

    def stream(self, args: Sequence[str], *, log: Path, timeout: float) -> None:
        """Run a long podman command (a build) with its output in `log`; quote the log if it fails."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            result = subprocess.run(
                ["podman", *args],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if result.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            raise EngineError(
                f"podman {' '.join(args[:3])} ... exited {result.returncode}; "
                f"last lines of {log}:\n{tail}"
            )

    def check_available(self) -> None:
        """Raise EngineUnavailable (with the reason) unless rootful podman with runc works here."""
        missing = [tool for tool in ("podman", "runc") if shutil.which(tool) is None]
        if missing:
            raise EngineUnavailable(
                f"{' and '.join(missing)} not installed (scripts/install_system_deps.sh installs "
                "them on Debian)"
            )
        if os.geteuid() != 0:
            raise EngineUnavailable(
                "the rehearsal needs rootful podman: the host reaches the pod's own address, as "
                "the load balancer reaches the task's network interface (run it as root, e.g. in a VM)"
            )
        self.configure()
        try:
            info = self.podman("info", "--format", "{{.Host.OCIRuntime.Name}}", timeout=60)
        except (EngineError, subprocess.TimeoutExpired, OSError) as exc:
            raise EngineUnavailable(f"`podman info` fails here: {exc}") from exc
        if info.stdout.strip() != "runc":
            raise EngineUnavailable(f"podman uses {info.stdout.strip()!r}, not runc")

    def reset(self) -> None:
        """Remove every image, container and layer of this storage, then the directory."""
        if self.storage_dir.exists() and shutil.which("podman"):
            self.configure()
            self.podman("system", "reset", "--force", timeout=600, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def labels_of(values: Mapping[str, str]) -> list[str]:
    """`--label k=v` arguments."""
    args: list[str] = []
    for key, value in values.items():
        args += ["--label", f"{key}={value}"]
    return args


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
