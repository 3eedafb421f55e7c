"""`make bench`: measure the service against the in-process limit, a naive peer and BentoML, and
on the classifier kinds against a naive peer of each."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kinds import KIND_MODELS
from bench.results import BENCH_DIR, load, save
from bench.run import BenchConfig, report, run
from bench.tuning import read_tuning, run_ab
from service.config import DEFAULT_MODEL
from service.paths import REPO_ROOT as ROOT


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help="the .h5 (manifest beside)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: levels 1 and 16, ~1 s each"
    )
    parser.add_argument("--no-bentoml", action="store_true", help="skip the BentoML peer")
    parser.add_argument(
        "--no-phone", action="store_true", help="skip the phone-photo workload (12 MP photos)"
    )
    for name, model in KIND_MODELS.items():
        parser.add_argument(
            f"--{name}-model",
            type=Path,
            default=model,
            help=f"the {name} kind's .h5 (default {model.relative_to(ROOT)})",
        )
    parser.add_argument("--kind-levels", type=int, nargs="+", help="the kinds' concurrency levels")
    parser.add_argument("--levels", type=int, nargs="+", help="concurrency levels")
    parser.add_argument("--duration", type=float, help="measured seconds per level")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"the JSON results (default {BenchConfig.out_json.relative_to(ROOT)})",
    )
    parser.add_argument("--markdown", type=Path, default=BenchConfig.out_md, help="the report")
    parser.add_argument("--no-markdown", action="store_true", help="write no report")
    parser.add_argument("--workdir", type=Path, default=BenchConfig.workdir, help="logs, scratch")
    parser.add_argument(
        "--service-env", action="append", default=[], metavar="KEY=VALUE",
        help="extra settings for our service, on every model (tuning experiments)",
    )  # fmt: skip
    parser.add_argument(
        "--ab", action="append", default=[], metavar="KEY=VALUE[,KEY=VALUE]",
        help="instead of the full run: A/B the service's defaults against these settings "
        f"(repeatable) and write {(BENCH_DIR / 'tuning.json').relative_to(ROOT)}",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="A/B repeats per variant")
    parser.add_argument(
        "--render",
        action="store_true",
        help="only rewrite the report's tables and plot (and the A/B figures in the JSON) from --out",
    )
    args = parser.parse_args(argv)
    out = args.out or BenchConfig.out_json
    if args.render:
        results = load(out)
        results.tuning = read_tuning(out.parent / "tuning.json")
        save(out, results)
        report(results, args.markdown, out)
        return 0
    if not args.model.is_file():
        parser.error(f"model {args.model} not found (build it with `make port` or pass --model)")
    if args.ab:
        variants = {"defaults": {}} | {
            spec: dict(item.split("=", 1) for item in spec.split(",")) for spec in args.ab
        }
        run_ab(
            args.model.resolve(),
            variants,
            levels=tuple(args.levels or (1, 16)),
            duration=args.duration or 10.0,
            repeats=args.repeats,
            workdir=args.workdir,
            out=out.parent / "tuning.json",
        )
        return 0
    given = sys.argv[1:] if argv is None else argv
    quick = args.quick
    config = BenchConfig(
        model=args.model.resolve(),
        levels=tuple(args.levels or ((1, 16) if quick else (1, 4, 16, 64))),
        kind_models={name: getattr(args, f"{name}_model").resolve() for name in KIND_MODELS},
        kind_levels=tuple(args.kind_levels or BenchConfig.kind_levels),
        duration_s=args.duration or (1.0 if quick else 15.0),
        warmup_s=0.3 if quick else 2.0,
        inprocess_s=0.5 if quick else 8.0,
        startup_runs=1 if quick else 3,
        rounds=1 if quick else 5,
        phone_peer_duration_s=15.0 if quick else BenchConfig.phone_peer_duration_s,
        bentoml=not args.no_bentoml,
        phone=not args.no_phone,
        service_env=dict(item.split("=", 1) for item in args.service_env),
        workdir=args.workdir,
        out_json=out,
        out_md=None if args.no_markdown else args.markdown,
        command=" ".join([".venv/bin/python scripts/bench.py", *given]) if given else "make bench",
    )
    results = run(config)
    for key, verdict in results.targets.items():
        print(f"{key}: {verdict.value} (target {verdict.target}, met: {verdict.met})")
    print(f"rss_mb_per_worker: {results.rss_mb_per_worker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
