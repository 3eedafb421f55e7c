"""Train the shipped model on all LFW people by the evaluated procedure; writes models/<name>-<version>.*"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training import cli


def main() -> None:
    """Train on everyone, save the .h5, then add the cross-validated threshold and metrics to the manifest."""
    cli.quiet_tensorflow()
    parser = argparse.ArgumentParser(description=__doc__)
    cli.add_common(parser)
    parser.add_argument(
        "--evaluation",
        type=Path,
        default=Path("docs/model_eval.json"),
        help="from scripts/evaluate_training.py",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path("models"),
        help="where the .h5, .json and .train.log go",
    )
    parser.add_argument(
        "--wait-for-evaluation",
        type=float,
        default=0.0,
        metavar="MINUTES",
        help="if the evaluation is still running beside this training, wait this long for its results",
    )
    parser.add_argument(
        "--reattach-evaluation",
        action="store_true",
        help="do not train: put the (newer) evaluation's threshold and metrics into the existing "
        "model's manifest, after checking the evaluation is of the same procedure",
    )
    args = parser.parse_args()
    if args.reattach_evaluation:
        reattach(args.out_dir, args.evaluation)
        return

    from training import manifest, pipeline, ship
    from training.crops import CropSpec
    from training.train import TrainConfig

    config = cli.overrides(args, TrainConfig())
    _, json_path, log_path = manifest.model_paths(args.out_dir)
    log, handle = cli.logger(log_path)
    log(f"config {json.dumps(config.as_dict())}")
    spec = CropSpec(config.crop_recipe(), (config.size, config.size), 3)
    source = pipeline.DataSource(
        args.data, spec, args.cache, args.pairs_per_fold, args.images_per_person
    )
    dataset = pipeline.load_dataset(source, log)
    described = f"LFW deep-funneled ({args.data.name}), every person (View 2 folds 1-10 and non-pairs people)"
    trained = ship.train_and_save(dataset, config, args.out_dir, data_source=described, log=log)
    deadline = time.monotonic() + args.wait_for_evaluation * 60
    while not args.evaluation.is_file() and time.monotonic() < deadline:
        time.sleep(10)
    if not args.evaluation.is_file():
        sys.exit(
            f"{args.evaluation} not found: run scripts/evaluate_training.py "
            "(it measures and picks the threshold)"
        )
    evaluation = json.loads(args.evaluation.read_text())
    data = ship.complete_manifest(trained, evaluation, config.as_dict())
    write_manifest_and_card(args.out_dir, json_path, data, log)
    handle.close()


def reattach(out_dir: Path, evaluation: Path) -> None:
    """Rewrite the existing model's manifest (and card) with the evaluation's numbers."""
    from training import manifest, ship

    h5_path, json_path, _ = manifest.model_paths(out_dir)
    data = ship.reattach_evaluation(
        h5_path, manifest.read_manifest(json_path), json.loads(evaluation.read_text())
    )
    write_manifest_and_card(out_dir, json_path, data, print)


def write_manifest_and_card(
    out_dir: Path, json_path: Path, data: dict[str, Any], log: Callable[[str], None]
) -> None:
    """The manifest beside the .h5, and the shipped-model facts in docs/MODEL_CARD_LFW.md."""
    from training import manifest, report

    manifest.write_manifest(json_path, data)
    log(f"wrote {json_path}: threshold {data['threshold']}, sha256 {data['sha256']}")
    card = out_dir.parent / "docs" / "MODEL_CARD_LFW.md"
    if report.update_card(card, report.SHIPPED_BLOCK, report.shipped_markdown(data)):
        log(f"updated the shipped-model facts in {card}")


if __name__ == "__main__":
    main()
