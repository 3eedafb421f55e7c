"""Registry-free stand-ins for the images the Dockerfiles start FROM, built from Debian packages.

`debian:<suite>-slim`: `debootstrap --variant=minbase`, trimmed the way the official slim images are
(no docs, manuals, translations or apt caches; dpkg and apt told to keep it so), imported with
`podman import`. `python:<minor>-slim-<suite>`: that image plus Debian's python3, when the suite's
python3 is that minor version (same CPython ABI, so the same wheels). Each is tagged with the exact
name the FROM line uses, so the Dockerfiles build unchanged with --pull=never.

Cached by their inputs: the root filesystem tarball under .cache/rehearse/bases/<name>-<key>.tar,
and the image carries the key as a label; a changed recipe (these files) builds a new one.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rehearse.engine import Engine, EngineError, labels_of

STANDIN_DIR = Path(__file__).with_name("standin")
KEY_LABEL = "facesim.rehearse.base-key"
MIRROR = "http://deb.debian.org/debian"
# The python3 each Debian suite ships (the only CPython a Debian stand-in can offer).
SUITE_PYTHON = {"bookworm": "3.11", "trixie": "3.13"}
DEBIAN_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Left out of the trimmed root filesystem (dpkg-slim.cfg keeps them out of later installs too).
TRIMMED = (
    "usr/share/man",
    "usr/share/groff",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/linda",
    "usr/share/locale",
    "var/lib/apt/lists",
    "var/cache/apt",
)

_DEBIAN = re.compile(r"^(?:docker\.io/)?(?:library/)?debian:(?P<suite>[a-z]+)-slim$")
_PYTHON = re.compile(
    r"^(?:docker\.io/)?(?:library/)?python:(?P<minor>3\.\d+)-slim-(?P<suite>[a-z]+)$"
)


class NoStandIn(ValueError):
    """A FROM image the rehearsal has no Debian recipe for; the message says what is supported."""


@dataclass(frozen=True)
class BaseImage:
    """A stand-in base that exists in the rehearsal's storage, and what making it cost."""

    name: str
    key: str
    built: bool
    seconds: float


def ensure_base(engine: Engine, name: str, *, logs: Path) -> BaseImage:
    """The stand-in for `name` (a FROM reference), built or imported only when its key changed."""
    if match := _DEBIAN.match(name):
        return _ensure_debian(engine, name, match["suite"], logs=logs)
    if match := _PYTHON.match(name):
        suite, minor = match["suite"], match["minor"]
        if SUITE_PYTHON.get(suite) != minor:
            raise NoStandIn(
                f"{name}: Debian {suite} ships python3 {SUITE_PYTHON.get(suite, '?')}, not "
                f"{minor}; no stand-in with the same CPython ABI can be built from Debian packages"
            )
        return _ensure_python(engine, name, suite, logs=logs)
    raise NoStandIn(
        f"no stand-in recipe for FROM {name}: the rehearsal builds debian:<suite>-slim and "
        "python:<minor>-slim-<suite> from Debian packages (rehearse/bases.py)"
    )


def debian_key(suite: str) -> str:
    """Hash of everything that shapes the debian stand-in (recipe files, suite, mirror)."""
    digest = hashlib.sha256(f"minbase|{suite}|{MIRROR}|{TRIMMED}".encode())
    for name in ("debian.sources", "dpkg-slim.cfg", "apt-clean.conf"):
        digest.update((STANDIN_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def python_key(suite: str) -> str:
    """Hash of the python stand-in's inputs: its Containerfile and the debian stand-in under it."""
    digest = hashlib.sha256(debian_key(suite).encode())
    digest.update((STANDIN_DIR / "python.Containerfile").read_bytes())
    return digest.hexdigest()[:16]


def image_key(engine: Engine, name: str) -> str | None:
    """The stand-in key label of a local image, or None when there is no such image."""
    found = engine.podman(
        "image",
        "inspect",
        "--format",
        '{{index .Labels "' + KEY_LABEL + '"}}',
        name,
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def _ensure_debian(engine: Engine, name: str, suite: str, *, logs: Path) -> BaseImage:
    key = debian_key(suite)
    if image_key(engine, name) == key:
        return BaseImage(name, key, built=False, seconds=0.0)
    started = time.monotonic()
    tarball = engine.root / "bases" / f"debian-{suite}-slim-{key}.tar"
    if not tarball.exists():
        _debootstrap(suite, tarball, log=logs / f"debootstrap-{suite}.log")
    engine.podman(
        "import",
        "--change",
        'CMD ["bash"]',
        "--change",
        f"ENV {DEBIAN_PATH}",
        "--change",
        f"LABEL {KEY_LABEL}={key}",
        str(tarball),
        name,
        timeout=600,
    )
    return BaseImage(name, key, built=True, seconds=time.monotonic() - started)


def _ensure_python(engine: Engine, name: str, suite: str, *, logs: Path) -> BaseImage:
    key = python_key(suite)
    if image_key(engine, name) == key:
        return BaseImage(name, key, built=False, seconds=0.0)
    debian = ensure_base(engine, f"debian:{suite}-slim", logs=logs)
    started = time.monotonic()
    engine.stream(
        [
            "build",
            "--pull=never",
            "--network=host",
            "--format=docker",
            "--build-arg",
            f"BASE=debian:{suite}-slim",
            *labels_of({KEY_LABEL: key}),
            "-f",
            str(STANDIN_DIR / "python.Containerfile"),
            "-t",
            name,
            str(STANDIN_DIR),
        ],
        log=logs / f"build-{name.replace(':', '-').replace('/', '-')}.log",
        timeout=900,
    )
    return BaseImage(name, key, built=True, seconds=debian.seconds + time.monotonic() - started)


def _debootstrap(suite: str, tarball: Path, *, log: Path) -> None:
    """A trimmed minbase root filesystem of `suite`, written as a tar (atomically)."""
    if shutil.which("debootstrap") is None:
        raise EngineError("debootstrap is not installed (scripts/install_system_deps.sh)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent, prefix="rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        with log.open("w") as out:
            result = subprocess.run(
                ["debootstrap", "--variant=minbase", suite, str(rootfs), MIRROR],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=1200,
                check=False,
            )
        if result.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise EngineError(f"debootstrap {suite} failed; last lines of {log}:\n{tail}")
        _trim(rootfs, suite)
        partial = Path(tmp) / "rootfs.tar"
        subprocess.run(
            [
                "tar",
                "--numeric-owner",
                "--xattrs",
                "-C",
                str(rootfs),
                "--exclude=./dev/*",
                "--exclude=./proc/*",
                "--exclude=./sys/*",
                "-cf",
                str(partial),
                ".",
            ],
            check=True,
            timeout=600,
        )
        partial.replace(tarball)


def _trim(rootfs: Path, suite: str) -> None:
    """What the official slim images leave out, and the settings that keep it out."""
    for part in TRIMMED:
        target = rootfs / part
        if target.is_dir():
            shutil.rmtree(target)
            target.mkdir()
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
    docs = rootfs / "usr/share/doc"
    for path in sorted(docs.rglob("*"), reverse=True):
        if path.is_file() or path.is_symlink():
            if path.name != "copyright":
                path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    sources = (STANDIN_DIR / "debian.sources").read_text().replace("@SUITE@", suite)
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(sources)
    shutil.copy(STANDIN_DIR / "dpkg-slim.cfg", rootfs / "etc/dpkg/dpkg.cfg.d/slim")
    shutil.copy(STANDIN_DIR / "apt-clean.conf", rootfs / "etc/apt/apt.conf.d/docker-clean")
