"""LFW View 2, identity-disjoint cross-validation of the training procedure; writes docs/model_eval.json."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training import cli
from training import evaluate as protocol


def main() -> None:
    """Train once per split (two halves by default), then write per-fold, summary and slice results."""
    cli.quiet_tensorflow()
    parser = argparse.ArgumentParser(description=__doc__)
    cli.add_common(parser)
    parser.add_argument(
        "--out", type=Path, default=Path("docs/model_eval.json"), help="results JSON"
    )
    parser.add_argument(
        "--protocol",
        choices=sorted(protocol.PROTOCOLS),
        default="halves",
        help="halves: two trainings on half the people each (~19 min on 2 cores; the published "
        "figures); ten-fold: ten trainings on nine folds' people each (~3 h)",
    )
    parser.add_argument("--workers", type=int, default=2, help="trainings run side by side")
    args = parser.parse_args()

    from training import pipeline, report
    from training.crops import CropSpec
    from training.train import TrainConfig

    config = cli.overrides(args, TrainConfig())
    log_path = args.out.with_suffix(".log")
    log, handle = cli.logger(log_path)
    log(f"config {json.dumps(config.as_dict())}")
    started = time.perf_counter()
    spec = CropSpec(config.crop_recipe(), (config.size, config.size), 3)
    source = pipeline.DataSource(
        args.data, spec, args.cache, args.pairs_per_fold, args.images_per_person
    )
    dataset = pipeline.load_dataset(source, log)
    results = pipeline.cross_validate(
        dataset, config, log, args.protocol, workers=args.workers, log_path=log_path
    )
    results["workers"] = args.workers
    results["data"] = {
        "path": str(args.data),
        "pairs": len(dataset.pairs),
        "images": len(dataset.crops.keys),
    }
    results["duration_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    acc = results["summary"]["accuracy"]  # type: ignore[index]
    log(f"wrote {args.out}: accuracy {acc['mean']:.4f} +/- {acc['std']:.4f}")
    card = args.out.parent / "MODEL_CARD_LFW.md"
    if report.update_card(card, report.EVAL_BLOCK, report.evaluation_markdown(results)):
        log(f"updated the numbers in {card}")
    handle.close()


if __name__ == "__main__":
    main()
