#!/usr/bin/env python3
"""Publish a model (.h5 + manifest) to s3://<bucket>/<prefix>/<version>/; the deploy uses this too."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.errors import ModelError
from service.model_store import publish_model


def main() -> int:
    """Parse arguments, upload, print the s3:// URI of the .h5 (the value for MODEL_URI)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--model", type=Path, required=True, help="path to the .h5 (manifest beside it)"
    )
    parser.add_argument("--bucket", required=True, help="target S3 bucket")
    parser.add_argument("--prefix", default=None, help="key prefix (default: the model's name)")
    parser.add_argument(
        "--key", default=None, help="exact key of the .h5 (the manifest goes beside it)"
    )
    parser.add_argument(
        "--latest", action="store_true", help="also point <prefix>/latest.json at it"
    )
    args = parser.parse_args()
    try:
        uri = publish_model(
            args.model,
            bucket=args.bucket,
            prefix=args.prefix,
            key=args.key,
            set_latest=args.latest,
        )
    except ModelError as exc:
        print(f"publish failed: {exc}", file=sys.stderr)
        return 1
    print(uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
