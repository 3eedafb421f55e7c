#!/usr/bin/env python3
"""Smoke-test a deployed facesim endpoint end to end (`make smoke URL=...`; logic: infra/smoke.py).

The API key is read from FACESIM_API_KEY (never a command-line argument: process lists show
those). Exit 0 when every check passed, 1 when one failed (the report says which and how to roll
back), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.probe.release import Expected
from infra.smoke import DEFAULT_ROLLBACK, Target, report, run

STATES = {"on": True, "off": False, "any": None}


def expected(kind: str | None, model: str | None) -> Expected:
    """What the endpoint must serve: the kind, and a name and version when given."""
    if not model:
        return Expected(kind=kind)
    name, _, version = model.partition(" ")
    return Expected(kind=kind, name=name, version=version or None)


def main(argv: list[str] | None = None) -> int:
    """Parse, run every check, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="e.g. https://api.example.com")
    parser.add_argument("--cacert", type=Path, help="extra CA to trust (the local stack's)")
    parser.add_argument("--api-keys", choices=["on", "off"], default="on")
    parser.add_argument("--docs", choices=sorted(STATES), default="any")
    parser.add_argument("--rollback", default=DEFAULT_ROLLBACK, help="printed on failure")
    parser.add_argument(
        "--connect-host",
        help="connect here (the load balancer's DNS name) while TLS and Host use the URL's name",
    )
    parser.add_argument(
        "--kind", help="the kind the endpoint must serve; default: whatever /v1/model says"
    )
    parser.add_argument(
        "--expect-model", help="NAME VERSION the endpoint must serve, e.g. 'm 1.0.0'"
    )
    args = parser.parse_args(argv)
    target = Target(
        url=args.url,
        api_key=os.environ.get("FACESIM_API_KEY", ""),
        cacert=args.cacert,
        expect_api_keys=args.api_keys == "on",
        expect_docs=STATES[args.docs],
        connect_host=args.connect_host or None,
        expected=expected(args.kind, args.expect_model),
    )
    print(f"smoke test of {target.url}", flush=True)
    text, passed = report(run(target), args.rollback)
    print(text, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
