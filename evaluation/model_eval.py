"""Evaluate a face model on LFW View 2 through the service's own pipeline: the standard ten folds.

The model is opened as the service opens it (service.kinds.face.model.open_local): its manifest's
recipe cuts every chip, and every distance is the served model's own answer to a triplet, so any
face `.h5` that keeps the contract is measured the same way. For a network that never trained on
LFW every fold is a test fold: each fold's threshold is chosen on the other nine folds' pairs, and
an image where the service finds no face (it would answer 422) makes every pair and triplet it is
in count as wrong. dlib's own pipeline (evaluation/dlib_reference.py) runs on the same pairs as
the reference row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evaluation import calibration, metrics, no_face
from evaluation import protocol as ten_folds
from evaluation.crops import CropSet
from evaluation.dataset import Dataset
from evaluation.dlib_reference import descriptor_ms, run_reference
from evaluation.progress import progress
from service.inference import BatchFunction
from service.kinds.face.crop import FaceCropper

Logger = Callable[[str], None]
# Pooled over all ten folds: 3,000 different-person pairs make FAR = 0.1 % meaningful (3 accepts).
POOLED_FARS = (0.001, 0.01)
# Triplets per call of the served model: one compiled graph, a few batch sizes.
BATCH = 32
PROTOCOL = (
    "LFW View 2 pairs.txt, the 10 official folds, every fold a test fold (the network never trained "
    "on an LFW person); the service's own pipeline on the raw deep-funneled .jpg files; each fold's "
    "threshold chosen on the other nine folds' pairs; an image with no face found counts every pair "
    "and triplet it is in as wrong"
)


def served_distances(
    distances: BatchFunction, crops: CropSet, log: Logger = print
) -> ten_folds.TripletDistances:
    """The served model's answers for triplets of cached chips; NaN where a chip has no face.

    A candidate without a face is replaced by the anchor's chip for the call (each distance depends
    only on the anchor and its own candidate) and its distance is then set to NaN.
    """
    rows = crops.index()

    def judge(anchors: list[str], firsts: list[str], seconds: list[str]) -> NDArray[np.float64]:
        a, f, s = (
            np.array([rows[k] for k in keys], dtype=np.int64) for keys in (anchors, firsts, seconds)
        )
        found_a, found_f, found_s = crops.detected[a], crops.detected[f], crops.detected[s]
        f = np.where(found_f, f, a)
        s = np.where(found_s, s, a)
        out = np.full((len(a), 2), np.nan, dtype=np.float64)
        asked = np.flatnonzero(found_a)
        batches = range(0, len(asked), BATCH)
        for start in progress(batches, total=len(batches), what="served model", log=log):
            take = asked[start : start + BATCH]
            out[take] = distances(
                [crops.pixels[a[take]], crops.pixels[f[take]], crops.pixels[s[take]]]
            )
        out[~found_f, 0] = np.nan
        out[~found_s, 1] = np.nan
        return out

    return judge


def verification(held: ten_folds.HeldOut) -> dict[str, Any]:
    """Per-fold rows, their summary, pooled TAR at low FAR and the pooled threshold."""
    rows = ten_folds.fold_results(held)
    same = np.array([p.same for p in held.pairs])
    answered = np.isfinite(held.distances)
    pooled = {
        f"tar_at_far_{far * 100:g}pct": metrics.tar_at_far(
            held.distances[answered], same[answered], far
        )
        for far in POOLED_FARS
    }
    return {
        "summary": {**ten_folds.summarise(rows), "pooled": pooled},
        "folds": rows,
        "threshold": ten_folds.pooled_threshold(held),
        "roc": metrics.roc_curve(held.distances[answered], same[answered]),
    }


def calibrate(held: ten_folds.HeldOut, ours: dict[str, Any]) -> dict[str, Any]:
    """The shipped fit (all pairs, 0.5 at the shipped threshold) and its reliability on unseen folds."""
    answered = np.isfinite(held.distances)
    same = np.array([p.same for p in held.pairs])[answered]
    folds = np.array([p.fold for p in held.pairs])[answered]
    distances = held.distances[answered]
    fold_thresholds = {int(r["fold"]) - 1: float(r["threshold"]) for r in ours["folds"]}
    out_of_fold = calibration.cross_validated(distances, same, folds, fold_thresholds)
    fit = calibration.fit_at_threshold(distances, same, float(ours["threshold"]))
    return {
        "fit": fit.as_manifest(),
        "at_threshold": float(ours["threshold"]),
        "reliability_cross_validated": calibration.reliability(out_of_fold, same),
        "pairs": int(answered.sum()),
    }


def timing(
    distances: BatchFunction,
    chips: list[NDArray[np.uint8]],
    dlib_ms: Callable[[], float],
    rounds: int = 5,
) -> dict[str, float]:
    """Time of the served model's answer for one triplet, and of dlib's descriptor of its chips."""
    triplet = [chip[None] for chip in chips]
    for _ in range(3):
        distances(triplet)
    calls = 5
    ours, theirs = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            distances(triplet)
        ours.append((time.perf_counter() - started) * 1000.0 / calls)
        theirs.append(dlib_ms())
    return {
        "forward_3_faces_ms": float(np.median(ours)),
        "dlib_descriptor_3_faces_ms": float(np.median(theirs)),
    }


def detection_rate(dataset: Dataset) -> dict[str, Any]:
    """Share of every LFW image (not only the pairs') in which the service finds a face."""
    found = dataset.crops.detected
    missed = [k for k, ok in zip(dataset.crops.keys, found, strict=True) if not ok]
    return {
        "images": len(found),
        "found": int(found.sum()),
        "share": float(found.mean()),
        "missed": missed,
    }


def pair_keys(dataset: Dataset) -> list[str]:
    """Every image the pairs use, sorted."""
    return sorted({k for p in dataset.pairs for k in (p.image1, p.image2)})


def reference_missed(dataset: Dataset, hog_found: dict[str, bool]) -> NDArray[np.bool_]:
    """Pairs where dlib's HOG found no face in at least one image (the reference used its centre box)."""
    return np.array([not (hog_found[p.image1] and hog_found[p.image2]) for p in dataset.pairs])


def reference_rows(
    dataset: Dataset, ours: BatchFunction, seed: int, workers: int, log: Logger
) -> dict[str, Any]:
    """dlib's own pipeline on the same pairs (two choices of face), its misses, and the timing."""
    keys = pair_keys(dataset)
    started = time.perf_counter()
    ref = run_reference(dataset.images_dir, keys, workers=workers)
    log(f"dlib's pipeline on {len(keys)} images in {time.perf_counter() - started:.0f} s")
    central = dict(zip(ref.keys, ref.descriptors, strict=True))
    first = dict(zip(ref.keys, ref.first_box_descriptors, strict=True))
    pairs = dataset.pairs
    found = dataset.crops.subset(keys)
    chips = [found.pixels[i] for i in np.flatnonzero(found.detected)[:3]]
    return {
        "reference": {
            **verification(ten_folds.held_out_distances(pairs, seed, ten_folds.euclidean(central))),
            "hog_missed_images": int((~ref.hog_found).sum()),
            "centre_box": list(ref.centre_box),
        },
        "reference_first_box": {
            **verification(ten_folds.held_out_distances(pairs, seed, ten_folds.euclidean(first))),
            "images_with_another_first_box": int(
                (np.abs(ref.descriptors - ref.first_box_descriptors).max(axis=1) > 0).sum()
            ),
        },
        "hog_missed_pairs": reference_missed(
            dataset, dict(zip(ref.keys, ref.hog_found.tolist(), strict=True))
        ),
        "timing": timing(ours, chips, lambda: descriptor_ms(chips, repeats=1)),
    }


def evaluate(
    cropper: FaceCropper,
    distances: BatchFunction,
    dataset: Dataset,
    *,
    seed: int,
    reference: bool,
    reference_workers: int,
    log: Logger,
    all_no_face_variants: bool = True,
) -> dict[str, Any]:
    """The whole evaluation: ours, calibration, detection, the no-face set, dlib's pipeline, timing."""
    started = time.perf_counter()
    held = ten_folds.held_out_distances(
        dataset.pairs, seed, served_distances(distances, dataset.crops, log)
    )
    log(
        f"{len(held.pairs)} pairs and {len(held.triplet_folds)} triplets through the served model "
        f"in {time.perf_counter() - started:.0f} s"
    )
    ours = verification(held)
    results: dict[str, Any] = {
        "ours": ours,
        "calibration": calibrate(held, ours),
        "detection": detection_rate(dataset),
        "no_face_set": no_face.accepted(cropper.crop, all_variants=all_no_face_variants),
    }
    extra: dict[str, NDArray[np.bool_]] = {}
    if reference:
        rows = reference_rows(dataset, distances, seed, reference_workers, log)
        extra["dlib's HOG found no face (either photo)"] = rows.pop("hog_missed_pairs")
        results.update(rows)
    thresholds = {int(r["fold"]) - 1: float(r["threshold"]) for r in ours["folds"]}
    results["slices"] = ten_folds.slice_results(held, thresholds, dataset.crops, extra=extra)
    return results
