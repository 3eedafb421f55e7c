"""The stack's state file: which processes `up` started, so `down` stops exactly those."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.processes import ProcessRecord

STATE_FILE = "state.json"


@dataclass
class StackState:
    """What one `up` started and where it listens; written after every process start."""

    processes: list[ProcessRecord] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    model_uri: str = ""
    cert: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "processes": [p.to_json() for p in self.processes],
            "urls": self.urls,
            "model_uri": self.model_uri,
            "cert": self.cert,
        }


def write(run_dir: Path, state: StackState) -> None:
    """Replace the state file atomically (a crash never leaves half a file)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state.to_json(), indent=2) + "\n")
    os.replace(tmp, run_dir / STATE_FILE)


def read(run_dir: Path) -> StackState | None:
    """The state of the last `up` in run_dir, or None when there is none."""
    path = run_dir / STATE_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return StackState(
        processes=[ProcessRecord.from_json(p) for p in data.get("processes", [])],
        urls={str(k): str(v) for k, v in data.get("urls", {}).items()},
        model_uri=str(data.get("model_uri", "")),
        cert=str(data.get("cert", "")),
    )


def remove(run_dir: Path) -> None:
    """Forget the stack (after `down`)."""
    (run_dir / STATE_FILE).unlink(missing_ok=True)
