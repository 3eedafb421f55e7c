#!/usr/bin/env python3
"""`make rehearse`: the Fargate task from cdk.out/, built and run locally in real containers.

usage: python scripts/rehearse_task.py [run] [--cdk-out DIR] [--run-dir DIR]
       python scripts/rehearse_task.py clean      (remove the rehearsal's images and storage)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rehearse.engine import DEFAULT_ROOT, Engine, EngineUnavailable
from rehearse.report import format_report, write_json
from rehearse.run import rehearse


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the rehearsal and print its report, or clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["run", "clean"], default="run")
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_ROOT / "last-run")
    args = parser.parse_args(argv)
    engine = Engine()
    if args.command == "clean":
        engine.reset()
        print(f"removed {engine.root}")
        return 0
    try:
        record = rehearse(engine, args.cdk_out.resolve(), args.run_dir.resolve())
    except EngineUnavailable as exc:
        print(f"cannot rehearse here: {exc}", file=sys.stderr)
        return 2
    print(format_report(record))
    write_json(record, args.run_dir / "report.json")
    print(f"logs and report.json: {args.run_dir}")
    return 1 if record.failed else 0


if __name__ == "__main__":
    sys.exit(main())
