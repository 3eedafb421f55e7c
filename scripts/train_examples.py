"""Train the example models (digits-cnn, census-income, banknote-authentication): `make examples`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ info lines would bury the log

from training.examples.run import TRAINERS, train_examples


def main() -> int:
    """Parse arguments, train, print one line per model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"models to train (default: all of {list(TRAINERS)})"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/data/examples"),
        help="the examples data folder (default: ../shared/data/examples)",
    )
    parser.add_argument("--out", type=Path, default=Path("models"), help="where models go")
    parser.add_argument(
        "--samples",
        type=Path,
        default=Path("tests/data/examples"),
        help="where the sample inputs go",
    )
    args = parser.parse_args()
    for done in train_examples(args.names, args.data, args.out, args.samples):
        print(
            f"{done.name}: held-out accuracy {100 * done.accuracy:.2f} %, {done.model_bytes} bytes, "
            f"trained in {done.seconds:.0f} s ({done.cpu_seconds:.0f} s CPU), sha256 {done.sha256}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
