"""`make stack` / `make stack-down`: the production-like local stack (logic in devstack/).

usage: python scripts/stack.py up|down|status [--run-dir DIR] [--https-port N] ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack import stack
from devstack.summary import describe


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run up, down or status."""
    defaults = stack.StackConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--run-dir", type=Path, default=defaults.run_dir)
    parser.add_argument("--https-port", type=int, default=defaults.https_port)
    parser.add_argument("--http-port", type=int, default=defaults.http_port)
    parser.add_argument("--service-port", type=int, default=defaults.service_port)
    parser.add_argument("--s3-port", type=int, default=defaults.s3_port)
    parser.add_argument("--model", type=Path, default=defaults.model)
    parser.add_argument(
        "--api-keys", default=defaults.api_keys, help="API_KEYS for the service (default: none)"
    )
    args = parser.parse_args(argv)
    run_dir = args.run_dir.resolve()

    if args.command == "down":
        lines = stack.down(run_dir)
        print("\n".join(lines) if lines else f"no stack recorded in {run_dir}")
        return 0
    if args.command == "status":
        lines = stack.status(run_dir)
        print("\n".join(lines) if lines else f"no stack recorded in {run_dir}")
        return 0

    config = stack.StackConfig(
        run_dir=run_dir,
        https_port=args.https_port,
        http_port=args.http_port,
        service_port=args.service_port,
        s3_port=args.s3_port,
        model=args.model.resolve(),
        api_keys=args.api_keys,
    )
    print(f"starting moto S3, the service and nginx (logs in {run_dir / 'logs'}) ...", flush=True)
    try:
        current = stack.up(config)
    except (stack.StackError, RuntimeError, TimeoutError) as exc:
        print(f"make stack failed: {exc}", file=sys.stderr)
        return 1
    print(describe(current))
    return 0


if __name__ == "__main__":
    sys.exit(main())
