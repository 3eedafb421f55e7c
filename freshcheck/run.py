"""Run make fresh-check's steps (freshcheck/plan.py) in a podman container and report each one.

Every step's output goes to .cache/fresh-check/NN-<step>.log; the terminal gets each step's time,
the disk figures and make test's closing line. Exit 0 only when every step did what it should and
make test ended with no failure and no error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import partial
from pathlib import Path

from freshcheck import plan
from freshcheck.progress import StepProgress
from rehearse.bases import ensure_base
from rehearse.compose import HOST_CA_BUNDLE
from rehearse.engine import REPO_ROOT, Engine
from service.paths import SHARED_DIR

STATE = REPO_ROOT / ".cache" / "fresh-check"
TIMINGS = STATE / "timings.json"


def main(pytest_args: str = "", *, plain: bool = False) -> int:
    """The whole check; 0 when it passed."""
    engine = Engine()
    engine.check_available()
    STATE.mkdir(parents=True, exist_ok=True)
    for old in STATE.glob("[0-9][0-9]-*.log"):
        old.unlink()
    steps = plan.steps(pytest_args)
    last = json.loads(TIMINGS.read_text()) if TIMINGS.is_file() else {}
    progress = StepProgress(
        [last.get("base image", 60.0), *plan.estimates(steps, last)], plain=plain
    )
    name = f"facesim-fresh-check-{os.getpid()}"
    timings: dict[str, float] = {}
    test_log = STATE / "no-make-test.log"
    try:
        _, timings["base image"] = progress.step(
            "base image", lambda: ensure_base(engine, plan.BASE, logs=STATE)
        )
        progress.say(f"{timings['base image']:7.1f} s  base image {plan.BASE}")
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if dirty:
            progress.say("note: uncommitted changes are not checked: the container clones HEAD")
        _start(engine, name)
        for number, step in enumerate(steps, start=1):
            log = STATE / f"{number:02d}-{re.sub(r'[^a-z0-9]+', '-', step.name.lower())[:40]}.log"
            ok, timings[step.name] = progress.step(
                step.name, partial(_exec, engine, name, step, log)
            )
            progress.say(f"{timings[step.name]:7.1f} s  {step.name}{'' if ok else '  FAILED'}")
            if step.shown:
                progress.say(_tail(log, 6))
            if not ok:
                progress.say(f"see {log.relative_to(REPO_ROOT)}:\n{_tail(log)}")
            if step.name.startswith("make test"):
                test_log = log
            elif not ok:
                return 1
    finally:
        progress.bar.close()
        engine.podman("rm", "--force", "--time=5", name, check=False, timeout=120)
        TIMINGS.write_text(json.dumps(timings, indent=1))
    return _report(test_log, sum(timings.values()))


def _start(engine: Engine, name: str) -> None:
    """The container, with the clone's source (a bundle of HEAD), shared/ and the caches mounted."""
    bundle = STATE / "facesim.bundle"
    subprocess.run(
        ["git", "-C", str(REPO_ROOT), "bundle", "create", "--quiet", str(bundle), "HEAD"],
        check=True,
        timeout=300,
    )
    for key in plan.CACHES:
        (STATE / "cache" / key).mkdir(parents=True, exist_ok=True)
    ca = HOST_CA_BUNDLE if HOST_CA_BUNDLE.is_file() else None
    args = plan.run_args(
        name,
        bundle=bundle,
        shared=SHARED_DIR.resolve(),
        caches=STATE / "cache",
        ca=ca,
        env=plan.container_env(os.environ, with_ca=ca is not None),
    )
    engine.podman(*args, timeout=300)


def _exec(engine: Engine, name: str, step: plan.Step, log: Path) -> bool:
    """One step in the container, its output to `log`; True when it exited 0."""
    command = ["podman", "exec", name, "bash", "-c", plan.BASH_PRELUDE + step.command]
    with log.open("w") as out:
        done = subprocess.run(
            command, env=engine.env(), stdout=out, stderr=subprocess.STDOUT, check=False
        )
    return done.returncode == 0


def _tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _report(log: Path, total_s: float) -> int:
    """make test's closing line, its skips by reason, and the verdict."""
    outcome = plan.read_outcome(log.read_text(errors="replace"))
    print(f"total {total_s / 60:.1f} min", file=sys.stderr)
    if outcome is None:
        print(f"make test printed no pytest summary; see {log}", file=sys.stderr)
        return 1
    print(f"make test: {outcome.line}", file=sys.stderr)
    for reason, count in sorted(outcome.skips.items(), key=lambda item: -item[1]):
        print(f"  skipped {count:4d}: {reason}", file=sys.stderr)
    problems = outcome.problems()
    for problem in problems:
        print(f"fresh-check FAILED: {problem}", file=sys.stderr)
    if not problems:
        print(
            "fresh-check passed: make run ready, make test with no failure and no error",
            file=sys.stderr,
        )
    return 1 if problems else 0
