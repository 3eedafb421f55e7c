"""LFW View 2, ten folds, through the service's own pipeline: accuracy of a served model file.

For the default model (dlib's ResNet ported to Keras; no LFW person was in its training) every fold
is a test fold. Writes reports/evaluation/model_eval_resnet.json (+ .log), puts the threshold, the
calibration and the headline metrics into the model's manifest and the numbers into its model card.
(The train-your-own procedure is cross-validated by scripts/evaluate_training.py.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.config import DEFAULT_MODEL
from training import cli, lfw


def main() -> None:
    """Crop, embed and score every pair; compare with dlib's own pipeline; write the results."""
    cli.quiet_tensorflow()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help="the .h5 (manifest beside it)"
    )
    parser.add_argument("--data", type=Path, default=lfw.DEFAULT_DATA, help="LFW folder")
    parser.add_argument("--cache", type=Path, default=lfw.DEFAULT_CACHE, help="images and crops")
    parser.add_argument(
        "--out", type=Path, default=Path("reports/evaluation/model_eval_resnet.json")
    )
    parser.add_argument("--pairs-per-fold", type=int, default=None, help="tiny run (tests)")
    parser.add_argument("--images-per-person", type=int, default=None, help="tiny run (tests)")
    parser.add_argument("--no-reference", action="store_true", help="skip dlib's own pipeline")
    parser.add_argument("--workers", type=int, default=None, help="processes for crops and dlib")
    parser.add_argument(
        "--no-attach", action="store_true", help="do not write into the manifest and the card"
    )
    parser.add_argument("--seed", type=int, default=1234, help="triplet negatives")
    parser.add_argument(
        "--render-card", action="store_true", help="only rewrite the card's numbers from --out"
    )
    args = parser.parse_args()
    if args.render_card:
        write_card(json.loads(args.out.read_text()), print)
        return

    from dlib_port import release
    from service.manifest import manifest_path_for, read_manifest
    from training import model_eval, pipeline
    from training.crops import CropSpec

    log, handle = cli.logger(args.out.with_suffix(".log"))
    started = time.perf_counter()
    manifest = read_manifest(manifest_path_for(args.model))
    height, width, channels = manifest.input_shape
    spec = CropSpec(manifest.crop, (height, width), channels)
    source = pipeline.DataSource(
        args.data, spec, args.cache, args.pairs_per_fold, args.images_per_person
    )
    dataset = pipeline.load_dataset(source, log, workers=args.workers)
    results = model_eval.evaluate(
        args.model,
        dataset,
        seed=args.seed,
        reference=not args.no_reference,
        reference_workers=args.workers or 2,
        log=log,
        all_no_face_variants=args.pairs_per_fold is None,
    )
    results["model"] = {
        "name": manifest.name,
        "version": manifest.version,
        "sha256": manifest.sha256,
    }
    results["data"] = {
        "path": str(args.data),
        "pairs": len(dataset.pairs),
        "images": len(dataset.crops.keys),
    }
    results["protocol"] = model_eval.PROTOCOL
    results["duration_s"] = round(time.perf_counter() - started, 1)
    model_eval.write_path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    acc = results["ours"]["summary"]["accuracy"]
    log(f"wrote {args.out}: accuracy {acc['mean']:.4f} +/- {acc['std']:.4f}")
    if not args.no_attach:
        for line in release.attach_evaluation(args.model, results):
            log(line)
        write_card(results, log)
    handle.close()


def write_card(results: dict[str, Any], log: Callable[[str], None]) -> None:
    """The evaluation's numbers into docs/MODEL_CARD.md, between its markers."""
    from training import report

    card = Path("docs/MODEL_CARD.md")
    report.update_card(card, report.RESNET_HEADLINE, report.resnet_headline_markdown(results))
    if report.update_card(card, report.RESNET_BLOCK, report.resnet_evaluation_markdown(results)):
        log(f"updated the numbers in {card}")


if __name__ == "__main__":
    main()
