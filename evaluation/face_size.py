"""The face-size sweep (python -m evaluation.face_size): verification as faces shrink or are compressed.

A fixed subset of LFW View 2 (the first N same and N different pairs of every fold) is sent through
the service's own decode and crop, once as the original files and then under each condition of
evaluation/degrade.py. Each pair is one triplet of the served model, (first degraded, second
degraded, second original), which gives both ways a caller meets the problem in one call: one small
photo against a good one, and both small. Distances are cached per model file, crop code and
condition list; the verdicts are then judged with the manifest's threshold and calibration, so a
recalibrated manifest of the same network reuses them. The report and its plot are written by
evaluation/face_size_report.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from evaluation import degrade, face_size_report, lfw
from evaluation.cli import repo_path
from evaluation.crops import CropSpec, crop_code_digest, process_cropper
from evaluation.dataset import first_pairs
from evaluation.progress import progress
from evaluation.report import update_card
from service.config import DEFAULT_MODEL, Settings
from service.images import ImageLimits, decode_upright
from service.kinds.face.faces import NoFaceFound
from service.kinds.face.manifest import read_face_manifest
from service.manifest import manifest_path_for
from service.paths import REPO_ROOT

SIZES = (50, 60, 70, 80, 100, 120, 140, 160)
JPEG_QUALITIES = (15,)
WEBP_QUALITIES = (15, 80)  # 80 is Pillow's default, the "saved as WebP"
PAIRS_PER_FOLD = 30  # same and different each: 600 pairs over the ten folds
DEFAULT_OUT = REPO_ROOT / "reports" / "evaluation" / "face_size.json"
DOCS = REPO_ROOT / "docs" / "MODEL.md"
DOCS_BLOCK = "FACE-SIZE"
CACHE_FORMAT = 1
BATCH = 32


@dataclass(frozen=True)
class Sent:
    """One picture as the service saw it: its chip, and the detector's box width (0: no face)."""

    chip: NDArray[np.uint8]
    width: int


@dataclass(frozen=True)
class Sweep:
    """Per condition and pair: both distances, and each photo's face width (0: no face found)."""

    conditions: list[degrade.Condition]
    pairs: list[lfw.Pair]
    both: NDArray[np.float64]  # (conditions, pairs): both photos degraded; NaN when unanswered
    one: NDArray[np.float64]  # (conditions, pairs): the first degraded, the second original
    width1: NDArray[np.int64]  # (conditions, pairs): first photo's face width as sent
    width2: NDArray[np.int64]  # (conditions, pairs): second photo's face width as sent
    commit: str = ""  # the commit the distances were measured on


def send(data: bytes, spec: CropSpec, field: str) -> Sent:
    """The picture through the service's decode and crop, as an upload would go."""
    image = decode_upright(data, field=field, limits=spec.limits)
    side = spec.recipe.chip_size
    try:
        crop = process_cropper(spec).crop(image.pixels, field=field)
    except NoFaceFound:
        return Sent(np.zeros((side, side, 3), np.uint8), 0)
    return Sent(crop.pixels, round(crop.face.w * image.scale))


def _send_chunk(args: tuple[Path, list[str], list[int], degrade.Condition, CropSpec]) -> list[Sent]:
    """Worker: these images under one condition (top-level so process pools can pickle it)."""
    images_dir, keys, widths, condition, spec = args
    out = []
    for key, width in zip(keys, widths, strict=True):
        original = (images_dir / key).read_bytes()
        if condition.kind != "original" and width == 0:  # no face in the original: nothing to size
            side = spec.recipe.chip_size
            out.append(Sent(np.zeros((side, side, 3), np.uint8), 0))
            continue
        pixels = decode_upright(original, field=key, limits=spec.limits).pixels
        out.append(send(degrade.degraded(original, pixels, width, condition), spec, key))
    return out


def sent_images(
    images_dir: Path,
    keys: list[str],
    widths: list[int],
    condition: degrade.Condition,
    spec: CropSpec,
    pool: Executor,
) -> list[Sent]:
    """Every image under one condition, on the pool's processes, with a progress bar."""
    chunk = 16
    jobs = [
        (images_dir, keys[i : i + chunk], widths[i : i + chunk], condition, spec)
        for i in range(0, len(keys), chunk)
    ]
    out: list[Sent] = []
    for part in progress(
        pool.map(_send_chunk, jobs), total=len(jobs), what=f"crop {condition.name}"
    ):
        out.extend(part)
    return out


def cache_key(model: Path, spec: CropSpec, pairs: list[lfw.Pair], names: list[str]) -> str:
    """Changes with the network, the crop code and recipe, the degradations, the pairs and conditions."""
    blob = json.dumps(
        {
            "format": CACHE_FORMAT,
            "model": read_face_manifest(manifest_path_for(model)).sha256,
            "code": crop_code_digest(),
            "degrade": hashlib.sha256(Path(degrade.__file__).read_bytes()).hexdigest(),
            "recipe": spec.recipe.model_dump(),
            "pairs": [(p.image1, p.image2) for p in pairs],
            "conditions": names,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run(
    model: Path,
    data: Path,
    cache: Path,
    pairs_per_fold: int,
    conditions: list[degrade.Condition],
    workers: int,
) -> Sweep:
    """Crop every image under every condition and ask the served model; cached by cache_key."""
    settings = Settings(model_uri=str(model))
    recipe = read_face_manifest(manifest_path_for(model)).crop
    spec = CropSpec(
        recipe,
        settings.face_assets_dir,
        ImageLimits(settings.max_upload_bytes, settings.max_image_pixels),
    )
    images_dir = lfw.resolve_images_dir(data, cache)
    pairs = first_pairs(lfw.read_pairs(data / "pairs.txt"), pairs_per_fold)
    names = [c.name for c in conditions]
    path = cache / "face_size" / f"sweep-{cache_key(model, spec, pairs, names)}.npz"
    if path.is_file():
        with np.load(path) as saved:
            return Sweep(
                conditions,
                pairs,
                saved["both"],
                saved["one"],
                saved["width1"],
                saved["width2"],
                str(saved["commit"]),
            )
    measured_at = face_size_report.commit()  # before the run: later edits are not what it measured
    # The crop workers are forked before TensorFlow starts its threads in this process.
    with ProcessPoolExecutor(max_workers=workers) as pool:
        sweep = measure(model, settings, images_dir, pairs, conditions, spec, pool)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep = replace(sweep, commit=measured_at)
    np.savez(
        path,
        both=sweep.both,
        one=sweep.one,
        width1=sweep.width1,
        width2=sweep.width2,
        commit=np.array(sweep.commit),
    )
    return sweep


def measure(
    model: Path,
    settings: Settings,
    images_dir: Path,
    pairs: list[lfw.Pair],
    conditions: list[degrade.Condition],
    spec: CropSpec,
    pool: Executor,
) -> Sweep:
    """Every condition's crops (on the pool) and the served model's distances for every pair."""
    from service.kinds.face.model import open_local  # TensorFlow only when distances are needed

    keys = sorted({k for p in pairs for k in (p.image1, p.image2)})
    row = {k: i for i, k in enumerate(keys)}
    first = np.array([row[p.image1] for p in pairs])
    second = np.array([row[p.image2] for p in pairs])
    original = sent_images(images_dir, keys, [0] * len(keys), degrade.ORIGINAL, spec, pool)
    face_widths = [s.width for s in original]
    _, distances = open_local(model, settings)
    shape = (len(conditions), len(pairs))
    both, one = np.full(shape, np.nan), np.full(shape, np.nan)
    width1, width2 = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    for c, condition in enumerate(conditions):
        sent = (
            original
            if condition.kind == "original"
            else sent_images(images_dir, keys, face_widths, condition, spec, pool)
        )
        widths = np.array([s.width for s in sent])
        width1[c], width2[c] = widths[first], widths[second]
        chips = np.stack([s.chip for s in sent])
        ref = np.stack([s.chip for s in original])
        for start in progress(
            range(0, len(pairs), BATCH),
            total=-(-len(pairs) // BATCH),
            what=f"model {condition.name}",
        ):
            take = slice(start, start + BATCH)
            out = distances([chips[first[take]], chips[second[take]], ref[second[take]]])
            both[c, take], one[c, take] = out[:, 0], out[:, 1]
        found1, found2, found2_original = (
            width1[c] > 0,
            width2[c] > 0,
            np.array(face_widths)[second] > 0,
        )
        both[c, ~(found1 & found2)] = np.nan
        one[c, ~(found1 & found2_original)] = np.nan
    return Sweep(conditions, pairs, both, one, width1, width2)


def parser() -> argparse.ArgumentParser:
    """The sweep's options."""
    out = argparse.ArgumentParser(description=__doc__)
    out.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="face .h5, manifest beside")
    out.add_argument("--data", type=Path, default=lfw.DEFAULT_DATA, help="LFW folder")
    out.add_argument("--cache", type=Path, default=lfw.DEFAULT_CACHE, help="images and distances")
    out.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report JSON (+ .png plot)")
    out.add_argument(
        "--pairs-per-fold", type=int, default=PAIRS_PER_FOLD, help="same and different each"
    )
    out.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="face widths, px")
    out.add_argument("--workers", type=int, default=2, help="crop processes")
    out.add_argument(
        "--docs", type=Path, default=DOCS, help="the doc whose FACE-SIZE block gets the table"
    )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Run (or reuse) the sweep, judge it with the model's manifest, write the report and its plot."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    args = parser().parse_args(argv)
    conditions = degrade.conditions(tuple(args.sizes), JPEG_QUALITIES, WEBP_QUALITIES)
    sweep = run(args.model, args.data, args.cache, args.pairs_per_fold, conditions, args.workers)
    manifest = read_face_manifest(manifest_path_for(args.model))
    report = face_size_report.report(sweep, manifest, model_file=args.model, data=args.data)
    face_size_report.write(report, args.out)
    if args.docs is not None and update_card(
        args.docs, DOCS_BLOCK, face_size_report.markdown(report)
    ):
        print(f"updated the table in {repo_path(args.docs)}")
    print(face_size_report.summary_line(report))


if __name__ == "__main__":
    main()
