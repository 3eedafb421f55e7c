"""make fresh-check: the README's two commands on a new, minimal Debian 12, as a new user runs them.

A podman container of the registry-free `debian:bookworm-slim` stand-in (rehearse/bases.py, in the
rehearsal's storage) gets from Debian exactly what the README's "Before you start" lists, then a
clone of this repository's HEAD with ../shared beside it (read-only), and runs `make run` until
/readyz answers, then `make test`. On the way it checks that `make run` without python3-venv says
so and leaves no .venv. CI is not set inside: the container tier skips, saying podman cannot nest.
Caches kept between runs: the base image, and pip's, npm's and apt's downloads (.cache/fresh-check/);
the clone and its .venv are new every time.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path

SUITE = "bookworm"
BASE = f"debian:{SUITE}-slim"
# In the container: the clone and shared/ side by side, as CI lays them out. Named through $HOME, so
# the container's checkout location never stands in the code it checks (tests/test_repo_paths.py).
WORK = "$HOME/work"
SHARED_MOUNT = "/mnt/shared"  # ../shared, read-only; WORK/shared links to it
CLONE = f"{WORK}/facesim"
BUNDLE = "/mnt/facesim.bundle"
# This machine's CA bundle (its egress proxy inspects TLS), where pip and npm are told to read it.
CONTAINER_CA = "/usr/local/share/facesim-host-ca.crt"
# The README's prerequisites as Debian 12 packages; git is how the user got the clone.
PREREQUISITES = ("python3", "python3-venv", "make", "git")
VENV_PACKAGE = "python3-venv"
# Host settings a container needs to reach the same package registries (not host paths).
PASSED_ENV = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_DEFAULT_TIMEOUT", "npm_config_registry")
CACHES = {"pip": "/var/cache/pip", "npm": "/var/cache/npm", "apt": "/var/cache/apt/archives"}
# Where pip and npm are told to keep their downloads (the volumes above).
CACHE_ENV = {"PIP_CACHE_DIR": CACHES["pip"], "npm_config_cache": CACHES["npm"]}
READY_TIMEOUT_S = 1800
APT = "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"
_SUMMARY = re.compile(r"^=+ (?P<counts>.*\d+ \w+.*) in [\d.]+s(?: \([\d:]+\))? =+$")
_COUNT = re.compile(r"(\d+) (\w+)")
_SUMMARY_ENTRY = re.compile(r"^(?:SKIPPED|FAILED|ERROR|XFAIL|XPASS|=)")
_SKIPPED = re.compile(r"^SKIPPED \[(?P<n>\d+)\] [^:]+(?::\d+)?: (?P<reason>.*)$")


@dataclass(frozen=True)
class Step:
    """One command in the container (bash, from WORK) and a first guess of its seconds."""

    name: str
    command: str
    estimate_s: float
    shown: bool = False  # its output is printed too (the refusal's message, the disk figures)


@dataclass(frozen=True)
class TestOutcome:
    """make test's closing line, its counts, and its skips by reason."""

    line: str
    counts: Mapping[str, int]
    skips: Mapping[str, int]

    def problems(self) -> list[str]:
        """Why this run does not pass: failures, errors, or no test at all."""
        found = [
            f"{self.counts[k]} {k}" for k in ("failed", "errors", "error") if self.counts.get(k)
        ]
        if not self.counts.get("passed"):
            found.append("no test passed")
        return found


def steps(pytest_args: str) -> list[Step]:
    """The run, in order: prerequisites, clone, the ensurepip check, make run, make test."""
    first = [p for p in PREREQUISITES if p != VENV_PACKAGE]
    make_test = "make test" + (f" PYTEST_ARGS={shlex.quote(pytest_args)}" if pytest_args else "")
    return [
        Step(
            f"apt-get install {' '.join(first)}",
            # The stand-in keeps no .deb (as the official image); here apt's cache is a volume.
            f"rm -f /etc/apt/apt.conf.d/docker-clean && {APT} update -qq && "
            f"{APT} install -y -qq {' '.join(first)} >/dev/null",
            60,
        ),
        Step("git clone", f"git clone --quiet {BUNDLE} {CLONE}", 5),
        Step(
            "make run without python3-venv refuses",
            f'cd {CLONE} && out=$(make run 2>&1) && exit 1; echo "$out"; '
            f"grep -q 'apt-get install {VENV_PACKAGE}' <<<\"$out\" && ! compgen -G '.venv*'",
            5,
            shown=True,
        ),
        Step(
            f"apt-get install {VENV_PACKAGE}", f"{APT} install -y -qq {VENV_PACKAGE} >/dev/null", 10
        ),
        Step("make run: /readyz 200", _until_ready(), 420),
        Step("stop make run (Ctrl-C)", "kill -INT -- -$(cat make-run.pgid) && wait_gone", 10),
        Step("du .venv after make run", f"du -sm {CLONE}/.venv", 5, shown=True),
        Step(make_test, f"cd {CLONE} && {make_test}", 1500),
        Step("du after make test", f"du -sm {CLONE}/.venv {CLONE}/node_modules", 10, shown=True),
    ]


def _until_ready() -> str:
    """Start `make run` in its own process group and wait for /readyz to answer 200."""
    probe = (
        "python3 -c 'import urllib.request as u; "
        'u.urlopen("http://127.0.0.1:8000/readyz", timeout=5)\''
    )
    return (
        f"cd {CLONE} && (setsid make run > {WORK}/make-run.log 2>&1 & echo $! > {WORK}/make-run.pgid)"
        f" && for _ in $(seq {READY_TIMEOUT_S // 5}); do "
        f"{probe} 2>/dev/null && exit 0; "
        f"kill -0 $(cat {WORK}/make-run.pgid) 2>/dev/null || break; sleep 5; done; "
        f"tail -n 30 {WORK}/make-run.log; exit 1"
    )


# Defined in the container's bash before every step: wait until make run's process group is gone.
BASH_PRELUDE = (
    "wait_gone() { for _ in $(seq 60); do kill -0 -- -$(cat make-run.pgid) 2>/dev/null || return 0;"
    f" sleep 1; done; return 1; }}; set -eo pipefail; mkdir -p {WORK}; "
    f"ln -sfn {SHARED_MOUNT} {WORK}/shared; cd {WORK}; "
)


def container_env(host: Mapping[str, str], *, with_ca: bool) -> dict[str, str]:
    """What the container's commands get from this machine: registry settings, the CA, no CI."""
    env = {k: v for k, v in host.items() if k in PASSED_ENV or k.lower().endswith("_proxy")}
    env |= CACHE_ENV
    if with_ca:
        env |= {"PIP_CERT": CONTAINER_CA, "NODE_EXTRA_CA_CERTS": CONTAINER_CA}
    return env


def run_args(
    name: str, *, bundle: Path, shared: Path, caches: Path, ca: Path | None, env: Mapping[str, str]
) -> list[str]:
    """`podman run` arguments for the long-lived container the steps are run in with exec."""
    mounts = [f"{bundle}:{BUNDLE}:ro", f"{shared}:{SHARED_MOUNT}:ro"]
    mounts += [f"{caches / key}:{inside}" for key, inside in CACHES.items()]
    if ca is not None:
        mounts.append(f"{ca}:{CONTAINER_CA}:ro")
    # --init: a real PID 1 (catatonit) reaps make run's processes once they end.
    args = ["run", "-d", "--init", "--name", name, "--shm-size=1g"]
    args += [f"--volume={m}" for m in mounts]
    args += [f"--env={k}={v}" for k, v in sorted(env.items())]
    return [*args, BASE, "sleep", "infinity"]


def read_outcome(log: str) -> TestOutcome | None:
    """pytest's closing line in make test's output, with its counts and skip reasons; None if absent."""
    lines = [line.strip() for line in log.splitlines()]
    closing = next((line for line in reversed(lines) if _SUMMARY.match(line)), None)
    if closing is None:
        return None
    counts_text = _SUMMARY.match(closing)
    assert counts_text is not None
    counts = {word: int(n) for n, word in _COUNT.findall(counts_text["counts"])}
    skips: Counter[str] = Counter()
    for number, line in enumerate(lines):
        if skipped := _SKIPPED.match(line):
            # A reason may go on for lines (a command's output): up to the next summary line.
            rest = takewhile(lambda more: not _SUMMARY_ENTRY.match(more), lines[number + 1 :])
            skips[" ".join([skipped["reason"], *rest])] += int(skipped["n"])
    return TestOutcome(closing, counts, dict(skips))


def estimates(defaults: list[Step], last: Mapping[str, float]) -> list[float]:
    """Each step's seconds on the last run where known, else its first guess."""
    return [last.get(step.name, step.estimate_s) for step in defaults]
