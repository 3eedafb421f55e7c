"""`make evaluate`: any face .h5 on LFW View 2 beside dlib's own pipeline; the JSON, its log, the card.

For the bundled model the numbers also go into its manifest (threshold, calibration, metrics) and
into docs/MODEL_CARD.md; for another model into its own manifest only (--no-attach: neither).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from dlib_port import release
from evaluation import lfw, model_eval, plots, report
from evaluation.crops import CropSpec
from evaluation.dataset import DataSource, load_dataset
from service.config import DEFAULT_MODEL, Settings
from service.images import ImageLimits
from service.kinds.face.manifest import read_face_manifest
from service.kinds.face.model import open_local
from service.manifest import manifest_path_for
from service.paths import REPO_ROOT

CARD = REPO_ROOT / "docs" / "MODEL_CARD.md"
DEFAULT_OUT = REPO_ROOT / "reports" / "evaluation" / "model_eval_resnet.json"


def repo_path(path: Path) -> str:
    """A path as committed files name it: relative to the repository when in it or beside it (../shared)."""
    absolute = Path(os.path.abspath(path))
    if absolute.is_relative_to(REPO_ROOT.parent):
        return os.path.relpath(absolute, REPO_ROOT)
    return str(absolute)


def logger(path: Path) -> tuple[Callable[[str], None], TextIO]:
    """A log function writing timestamped lines to stdout and to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        handle.write(line + "\n")
        handle.flush()

    return log, handle


def parser() -> argparse.ArgumentParser:
    """The options of scripts/evaluate.py."""
    out = argparse.ArgumentParser(description=__doc__)
    out.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help="a face .h5, manifest beside it"
    )
    out.add_argument("--data", type=Path, default=lfw.DEFAULT_DATA, help="LFW folder")
    out.add_argument("--cache", type=Path, default=lfw.DEFAULT_CACHE, help="images and crops")
    out.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON (+ .log)")
    out.add_argument("--pairs-per-fold", type=int, default=None, help="tiny run (tests)")
    out.add_argument("--images-per-person", type=int, default=None, help="tiny run (tests)")
    out.add_argument("--no-reference", action="store_true", help="skip dlib's own pipeline")
    out.add_argument("--workers", type=int, default=None, help="processes for crops and dlib")
    out.add_argument(
        "--no-attach", action="store_true", help="do not write into the manifest and the card"
    )
    out.add_argument("--seed", type=int, default=1234, help="triplet negatives")
    out.add_argument(
        "--render-card", action="store_true", help="only rewrite the card's numbers from --out"
    )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Crop, score every pair and triplet; compare with dlib's own pipeline; write the results."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    args = parser().parse_args(argv)
    if args.render_card:
        write_card(json.loads(args.out.read_text()), print)
        return
    log, handle = logger(args.out.with_suffix(".log"))
    with handle:
        results = run(args, log)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        plots.roc_and_reliability(results, args.out.with_suffix(".png"))
        acc = results["ours"]["summary"]["accuracy"]
        log(f"wrote {repo_path(args.out)}: accuracy {acc['mean']:.4f} +/- {acc['std']:.4f}")
        if not args.no_attach:
            for line in release.attach_evaluation(args.model, results):
                log(line)
            if args.model.resolve() == DEFAULT_MODEL.resolve():
                write_card(results, log)


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    """Open the model as the service does, crop LFW with its recipe, evaluate; the results JSON."""
    started = time.perf_counter()
    settings = Settings(model_uri=str(args.model))
    limits = ImageLimits(settings.max_upload_bytes, settings.max_image_pixels)
    recipe = read_face_manifest(manifest_path_for(args.model)).crop
    spec = CropSpec(recipe, settings.face_assets_dir, limits)
    source = DataSource(args.data, spec, args.cache, args.pairs_per_fold, args.images_per_person)
    # The crop workers are forked before TensorFlow starts its threads in this process.
    dataset = load_dataset(source, log, workers=args.workers)
    face, distances = open_local(args.model, settings)
    results = model_eval.evaluate(
        face.cropper,
        distances,
        dataset,
        seed=args.seed,
        reference=not args.no_reference,
        reference_workers=args.workers or 2,
        log=log,
        all_no_face_variants=args.pairs_per_fold is None,
    )
    manifest = face.manifest
    return {
        "model": {
            "name": manifest.name,
            "version": manifest.version,
            "sha256": manifest.sha256,
            "file": repo_path(args.model),
            "distance": manifest.distance,
        },
        **results,
        "data": {
            "path": repo_path(args.data),
            "pairs": len(dataset.pairs),
            "images": len(dataset.crops.keys),
        },
        "protocol": model_eval.PROTOCOL,
        "duration_s": round(time.perf_counter() - started, 1),
    }


def write_card(results: dict[str, Any], log: Callable[[str], None]) -> None:
    """The evaluation's numbers into docs/MODEL_CARD.md, between its markers."""
    report.update_card(CARD, report.HEADLINE_BLOCK, report.headline_markdown(results))
    report.update_card(CARD, report.CALIBRATION_BLOCK, report.calibration_markdown(results))
    if report.update_card(CARD, report.EVALUATION_BLOCK, report.evaluation_markdown(results)):
        log(f"updated the numbers in {repo_path(CARD)}")
