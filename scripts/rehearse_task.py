#!/usr/bin/env python3
"""The local stack (compose.yaml) under podman-compose, for machines without Docker: build, up, down, clean.

usage: python scripts/rehearse_task.py build  (the stack's images; make rehearse runs it before its tests)
       python scripts/rehearse_task.py up [--model FILE] [--https-port N]
       python scripts/rehearse_task.py down
       python scripts/rehearse_task.py clean   (remove the stack's images and podman storage)
Where Docker is installed, `docker compose up` runs the same file without this script.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rehearse.compose import Stack
from rehearse.engine import Engine, EngineError, EngineUnavailable


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and bring the stack up or down, or drop its storage."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=["build", "up", "down", "clean"])
    parser.add_argument("--model", help="a file in models/ (default: compose.yaml's MODEL)")
    parser.add_argument("--https-port", type=int, default=8443)
    args = parser.parse_args(argv)
    engine = Engine()
    if args.command == "clean":
        engine.reset()
        print(f"removed {engine.root}")
        return 0
    stack = Stack(engine, https_port=args.https_port, model=args.model)
    try:
        engine.check_available()
        if args.command == "down":
            stack.down()
            return 0
        stack.build(logs=engine.root / "logs")
        if args.command == "build":
            return 0
        stack.up()
    except EngineUnavailable as exc:
        print(f"podman cannot run containers here: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"up: https://127.0.0.1:{args.https_port} (ready once /readyz answers 200; the model "
        f"loads for ~20 s), X-API-Key in {stack.keys_file}, logs: podman-compose logs app"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
