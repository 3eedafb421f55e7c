"""Image hygiene, measured: size, each layer and what fills it, and what a shipped image must not hold.

Fargate pulls the whole image at every task start, so its size is cold-start time. Every layer
over LARGE_LAYER_BYTES must have a reason in LAYER_REASONS (a new big layer fails the rehearsal
until someone writes down why it is worth its pull time). The final image must hold no compiler,
no package-manager caches, no C/C++ headers or static libraries, and a consistent pip view.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rehearse.engine import Engine
from rehearse.images import inspect_image
from rehearse.verdict import Verdict

LARGE_LAYER_BYTES = 50 * 1000 * 1000
# Instruction (as the image history records it) -> why a layer that large is worth pulling.
LAYER_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"ADD file:\S+ in /\s*$"),
        "the base image's root filesystem (here the debootstrap stand-in for debian:*-slim)",
    ),
    (
        re.compile(r"apt-get install .*python3 python3-venv"),
        "the python:*-slim base's CPython (here Debian's python3, the stand-in)",
    ),
    (
        re.compile(r"COPY (--from=\S+ )?(dir:\S+ in )?/opt/venv"),
        "the service's Python dependencies (requirements.txt); see the largest packages listed",
    ),
)
COMPILERS = ("gcc", "cc", "c++", "g++", "clang", "make", "ld", "as", "cargo", "rustc")
# C/C++ headers and static libraries serve only to compile against a package; a few MB of them
# ship inside wheels (numpy's), tensorflow-cpu's 290 MB are removed in the build stage.
HEADER_BUDGET_BYTES = 5 * 1000 * 1000
# ensurepip's bundled pip/setuptools wheels (Debian keeps them in /usr/share/python-wheels) are
# part of CPython, what `python -m venv` installs pip from; any other wheel is a leftover download.
CACHE_FIND = (
    r"find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path '*/ensurepip/_bundled' "
    r"-o -path /usr/share/python-wheels \) -prune -o \( "
    r"-name '*.deb' -o -name pkgcache.bin -o -name srcpkgcache.bin "
    r"-o \( -path '*/.cache/pip' -type d \) -o \( -path '/var/lib/apt/lists/*' -type f "
    r"! -name lock \) -o \( -name '*.whl' -type f \) \) -print"
)
HEADER_FIND = (
    r"find / -xdev \( -path /proc -o -path /sys \) -prune -o -type f "
    r"\( -name '*.h' -o -name '*.hpp' -o -name '*.hh' -o -name '*.a' \) -printf '%s %p\n'"
)


@dataclass(frozen=True)
class Layer:
    """One filesystem layer: the instruction that made it, its size and its largest parts."""

    created_by: str
    size: int
    largest: tuple[tuple[str, int], ...]

    @property
    def reason(self) -> str | None:
        """Why it may be large (LAYER_REASONS), or None."""
        for pattern, reason in LAYER_REASONS:
            if pattern.search(self.created_by):
                return reason
        return None


@dataclass(frozen=True)
class ImageFacts:
    """What the report says about one image."""

    reference: str
    size: int
    layers: tuple[Layer, ...]
    user: str
    stop_signal: str
    healthcheck: tuple[str, ...]

    def large_layers(self) -> list[Layer]:
        """Layers over LARGE_LAYER_BYTES."""
        return [layer for layer in self.layers if layer.size > LARGE_LAYER_BYTES]


def image_facts(engine: Engine, reference: str) -> ImageFacts:
    """Size, layers (bottom first, with their largest directories), user, stop signal, check."""
    found = inspect_image(engine, reference)
    history = [h for h in found.get("History", []) if not h.get("empty_layer")]
    data = found.get("GraphDriver", {}).get("Data", {})
    dirs = [data["UpperDir"], *filter(None, data.get("LowerDir", "").split(":"))][::-1]
    if len(dirs) != len(history):
        raise ValueError(f"{reference}: {len(history)} history entries for {len(dirs)} layers")
    layers = tuple(
        Layer(str(h.get("created_by", "")), *_measure(Path(d)))
        for h, d in zip(history, dirs, strict=True)
    )
    config = found.get("Config", {})
    return ImageFacts(
        reference=reference,
        size=int(found["Size"]),
        layers=layers,
        user=str(config.get("User", "")),
        stop_signal=str(config.get("StopSignal", "")),
        healthcheck=tuple(config.get("Healthcheck", {}).get("Test", [])),
    )


def _measure(layer: Path, keep: int = 6) -> tuple[int, tuple[tuple[str, int], ...]]:
    """Bytes of regular files in a layer, and its largest parts (a package, or a directory)."""
    total = 0
    parts: Counter[str] = Counter()
    for root, _dirs, files in os.walk(layer):
        relative = Path(root).relative_to(layer)
        group = _group(relative)
        for name in files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if not os.path.islink(os.path.join(root, name)):
                total += stat.st_size
                parts[group] += stat.st_size
    return total, tuple(parts.most_common(keep))


def _group(relative: Path) -> str:
    """site-packages/<package> for Python, else the first three directories."""
    items = relative.parts
    if "site-packages" in items:
        at = items.index("site-packages")
        return "/" + "/".join(items[: at + 2])
    return "/" + "/".join(items[:3])


def in_image(engine: Engine, reference: str, script: str) -> tuple[int, str]:
    """Run a shell script in a throwaway container of the image, as root, offline; its stdout."""
    out = engine.podman(
        "run", "--rm", "--network", "none", "--user", "0:0", "--health-cmd", "none",
        "--entrypoint", "/bin/sh", reference, "-c", script, check=False, timeout=300,
    )  # fmt: skip
    return out.returncode, out.stdout.strip()


def compilers(engine: Engine, reference: str) -> list[str]:
    """Compilers and build tools on the image's PATH."""
    script = "; ".join(f"command -v {tool} || true" for tool in COMPILERS)
    return [line for line in in_image(engine, reference, script)[1].splitlines() if line]


def package_caches(engine: Engine, reference: str) -> list[str]:
    """Downloaded packages, apt lists and caches, pip caches and wheels left in the image."""
    _code, output = in_image(engine, reference, CACHE_FIND)
    return [line for line in output.splitlines() if line.startswith("/")]


def header_bytes(engine: Engine, reference: str) -> tuple[int, list[str]]:
    """Bytes of C/C++ headers and static libraries, and the directories holding most of them."""
    _code, output = in_image(engine, reference, HEADER_FIND)
    per_dir: Counter[str] = Counter()
    for line in output.splitlines():
        size, _, path = line.partition(" ")
        if size.isdigit():
            per_dir[str(Path(path).parent)] += int(size)
    return sum(per_dir.values()), [f"{d} ({n / 1e6:.1f} MB)" for d, n in per_dir.most_common(5)]


def pip_check(engine: Engine, reference: str) -> tuple[bool, str]:
    """`pip check` with the image's own python (its PATH), as the image's user would run it."""
    out = engine.podman(
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "python",
        reference,
        "-m",
        "pip",
        "check",
        "--disable-pip-version-check",
        check=False,
        timeout=300,
    )
    return out.returncode == 0, out.stdout.strip()


def hygiene_verdicts(
    engine: Engine, facts: ImageFacts, *, size_budget: int | None = None
) -> list[Verdict]:
    """The image-level checks of one built image."""
    name = facts.reference
    verdicts = []
    if size_budget is not None:
        verdicts.append(Verdict(
            f"{name}: size within its budget", facts.size <= size_budget,
            f"{_mb(facts.size)} of {_mb(size_budget)}; layers: "
            + "; ".join(f"{_mb(layer.size)} {layer.created_by[:60]}" for layer in facts.layers),
        ))  # fmt: skip
    unexplained = [layer for layer in facts.large_layers() if layer.reason is None]
    verdicts.append(
        Verdict(
            f"{name}: every layer over {LARGE_LAYER_BYTES // 10**6} MB has a reason",
            not unexplained,
            "; ".join(
                f"{_mb(layer.size)} {layer.created_by[:120]} (largest: "
                f"{', '.join(p for p, _ in layer.largest[:3])})"
                for layer in unexplained
            )
            or f"{len(facts.large_layers())} large layer(s), each explained",
        )
    )
    found = compilers(engine, name)
    verdicts.append(Verdict(f"{name}: no compiler", not found, ", ".join(found) or "none on PATH"))
    caches = package_caches(engine, name)
    verdicts.append(
        Verdict(f"{name}: no package caches", not caches, "\n".join(caches[:20]) or "none")
    )
    headers, where = header_bytes(engine, name)
    verdicts.append(
        Verdict(
            f"{name}: C/C++ headers and static libraries under {_mb(HEADER_BUDGET_BYTES)}",
            headers <= HEADER_BUDGET_BYTES,
            f"{_mb(headers)}: {'; '.join(where) or 'none'}",
        )
    )
    has_python, _ = in_image(engine, name, "command -v python")
    if has_python == 0:
        clean, output = pip_check(engine, name)
        verdicts.append(Verdict(f"{name}: pip check", clean, output))
    return verdicts


def _mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"
