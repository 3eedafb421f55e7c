"""The stack's state file: which processes `up` started, so `down` stops exactly those."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter

from devstack.processes import ProcessRecord

STATE_FILE = "state.json"


@dataclass
class StackState:
    """What one `up` started and where it listens; written after every process start."""

    processes: list[ProcessRecord] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    model_uri: str = ""
    cert: str = ""


_JSON = TypeAdapter(StackState)


def write(run_dir: Path, state: StackState) -> None:
    """Replace the state file atomically (a crash never leaves half a file)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / f".{STATE_FILE}.tmp"
    tmp.write_bytes(_JSON.dump_json(state, indent=2) + b"\n")
    os.replace(tmp, run_dir / STATE_FILE)


def read(run_dir: Path) -> StackState | None:
    """The state of the last `up` in run_dir, or None when there is none."""
    path = run_dir / STATE_FILE
    return _JSON.validate_json(path.read_bytes()) if path.exists() else None


def remove(run_dir: Path) -> None:
    """Forget the stack (after `down`)."""
    (run_dir / STATE_FILE).unlink(missing_ok=True)
