"""Registry-free stand-ins for the images our Dockerfiles start FROM, built from Debian packages.

Our machines reach no container registry, so compose cannot pull `python:3.11-slim-bookworm`.
`debian:<suite>-slim`: `debootstrap --variant=minbase`, trimmed as the official slim images are
(no docs, manuals, translations or apt caches; dpkg and apt told to keep it so), imported with
`podman import`. `python:<minor>-slim-<suite>`: that plus Debian's python3, when the suite's python3
is that minor version (same CPython ABI, so the same wheels). Each is tagged with the name the FROM
line uses, so the Dockerfiles build unchanged. Keyed by their recipe (rehearse/standin/): the image
carries the key as a label, and a changed recipe builds a new one.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from dockerfile_parse import DockerfileParser

from rehearse.engine import Engine, EngineError

STANDIN_DIR = Path(__file__).with_name("standin")
KEY_LABEL = "facesim.rehearse.base-key"
MIRROR = "http://deb.debian.org/debian"
# The python3 each Debian suite ships (the only CPython a Debian stand-in can offer).
SUITE_PYTHON = {"bookworm": "3.11", "trixie": "3.13"}
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
    """A FROM image with no Debian recipe here; the message says what is supported."""


def base_images(dockerfile: Path) -> list[str]:
    """The images a Dockerfile starts FROM (its own stages left out), read by dockerfile-parse."""
    parser = DockerfileParser(str(dockerfile), cache_content=True)
    froms = [i["value"].split() for i in parser.structure if i["instruction"] == "FROM"]
    stages = {words[-1] for words in froms if len(words) > 2 and words[-2].upper() == "AS"}
    return [name for name in dict.fromkeys(parser.parent_images) if name not in stages]


def ensure_base(engine: Engine, name: str, *, logs: Path) -> bool:
    """The stand-in for `name` (a FROM reference); True when it had to be built."""
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
        f"no stand-in recipe for FROM {name}: debian:<suite>-slim and python:<minor>-slim-<suite> "
        "are built from Debian packages (rehearse/bases.py)"
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


def _has(engine: Engine, name: str, key: str) -> bool:
    label = '{{index .Labels "' + KEY_LABEL + '"}}'
    found = engine.podman("image", "inspect", "--format", label, name, check=False)
    return found.returncode == 0 and found.stdout.strip() == key


def _ensure_debian(engine: Engine, name: str, suite: str, *, logs: Path) -> bool:
    key = debian_key(suite)
    if _has(engine, name, key):
        return False
    tarball = engine.root / "bases" / f"debian-{suite}-slim-{key}.tar"
    if not tarball.exists():
        _debootstrap(suite, tarball, log=logs / f"debootstrap-{suite}.log")
    path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    changes = ['CMD ["bash"]', f"ENV {path}", f"LABEL {KEY_LABEL}={key}"]
    engine.podman("import", *(f"--change={c}" for c in changes), str(tarball), name, timeout=600)
    return True


def _ensure_python(engine: Engine, name: str, suite: str, *, logs: Path) -> bool:
    key = python_key(suite)
    if _has(engine, name, key):
        return False
    ensure_base(engine, f"debian:{suite}-slim", logs=logs)
    options = [f"--build-arg=BASE=debian:{suite}-slim", f"--label={KEY_LABEL}={key}"]
    options += [f"--file={STANDIN_DIR / 'python.Containerfile'}", f"--tag={name}"]
    engine.podman(
        "build", "--pull=never", "--network=host", *options, str(STANDIN_DIR), timeout=900
    )
    return True


def _debootstrap(suite: str, tarball: Path, *, log: Path) -> None:
    """A trimmed minbase root filesystem of `suite`, written as a tar (atomically)."""
    if shutil.which("debootstrap") is None:
        raise EngineError("debootstrap is not installed (scripts/install_system_deps.sh)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent, prefix="rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        with log.open("w") as out:
            done = subprocess.run(
                ["debootstrap", "--variant=minbase", suite, str(rootfs), MIRROR],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=1200,
                check=False,
            )
        if done.returncode != 0:
            raise EngineError(f"debootstrap {suite} failed; see {log}")
        _trim(rootfs, suite)
        partial = Path(tmp) / "rootfs.tar"
        excluded = [f"--exclude=./{mount}/*" for mount in ("dev", "proc", "sys")]
        tar = ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), *excluded]
        subprocess.run([*tar, "-cf", str(partial), "."], check=True, timeout=600)
        partial.replace(tarball)


def _trim(rootfs: Path, suite: str) -> None:
    """What the official slim images leave out, and the settings that keep it out."""
    for part in TRIMMED:
        shutil.rmtree(rootfs / part, ignore_errors=True)
        (rootfs / part).mkdir(parents=True)
    (rootfs / "var/lib/apt/lists/partial").mkdir()
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)
    for path in sorted((rootfs / "usr/share/doc").rglob("*"), reverse=True):
        if (path.is_file() or path.is_symlink()) and path.name != "copyright":
            path.unlink()
        elif path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()
    sources = (STANDIN_DIR / "debian.sources").read_text().replace("@SUITE@", suite)
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(sources)
    shutil.copy(STANDIN_DIR / "dpkg-slim.cfg", rootfs / "etc/dpkg/dpkg.cfg.d/slim")
    shutil.copy(STANDIN_DIR / "apt-clean.conf", rootfs / "etc/apt/apt.conf.d/docker-clean")
