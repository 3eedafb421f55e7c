"""Arguments shared by scripts/train.py and scripts/evaluate.py, and their logging."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from training import lfw
from training.train import TrainConfig


def add_common(parser: argparse.ArgumentParser) -> None:
    """Data location, cache, tiny-subset switches and the training knobs a test may shrink."""
    parser.add_argument(
        "--data",
        type=Path,
        default=lfw.DEFAULT_DATA,
        help="LFW folder (pairs.txt + tarball or extracted images)",
    )
    parser.add_argument(
        "--cache", type=Path, default=lfw.DEFAULT_CACHE, help="extracted images and crop arrays"
    )
    parser.add_argument(
        "--pairs-per-fold",
        type=int,
        default=None,
        help="tiny run: first N same + N different pairs per fold",
    )
    parser.add_argument(
        "--images-per-person", type=int, default=None, help="tiny run: cap images per person"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="override the configured epochs (tests)"
    )
    parser.add_argument(
        "--size", type=int, default=None, help="override the input side in pixels (tests)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="TensorFlow threads (default: CPU count)"
    )


def overrides(args: argparse.Namespace, config: TrainConfig) -> TrainConfig:
    """The config with any command-line overrides applied."""
    changes: dict[str, object] = {}
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.size is not None:
        changes["size"] = args.size
    changes["threads"] = args.threads or os.cpu_count() or 1
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def logger(path: Path) -> tuple[Callable[[str], None], TextIO]:
    """A log function writing timestamped lines to stdout and to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    # Append mode: worker processes add their lines to the same file.
    handle = path.open("a")

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        handle.write(line + "\n")
        handle.flush()

    return log, handle


def quiet_tensorflow() -> None:
    """Keep TensorFlow's start-up chatter out of the logs."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
