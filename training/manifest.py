"""The manifest beside the .h5: what the service needs to serve it, and how it was made and measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODEL_NAME = "facesim-lfw"
MODEL_VERSION = "1.2.0"


def model_paths(
    out_dir: Path, name: str = MODEL_NAME, version: str = MODEL_VERSION
) -> tuple[Path, Path, Path]:
    """models/<name>-<version>.h5, its .json manifest and its .train.log."""
    # Not Path.with_suffix: the dots of the version would be taken for a suffix.
    stem = f"{name}-{version}"
    return (
        out_dir / f"{stem}.h5",
        out_dir / f"{stem}.json",
        out_dir / f"{stem}.train.log",
    )


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Pretty JSON, stable key order, trailing newline."""
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest as a dict."""
    data: dict[str, Any] = json.loads(path.read_text())
    return data
