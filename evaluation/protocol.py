"""LFW View 2's ten folds: pair and triplet distances, per-fold thresholds and metrics, slices.

A pipeline under test is a `TripletDistances`: given anchors, first and second candidates (image
keys) it answers d(anchor, first) and d(anchor, second), NaN where it has no answer (no face found).
The served model answers that way by contract; dlib's descriptors are turned into one (`euclidean`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evaluation import metrics
from evaluation.crops import CropSet
from evaluation.lfw import Pair

FAR = 0.01
# (anchors, firsts, seconds) -> (n, 2): d(anchor, first), d(anchor, second); NaN where unanswered.
TripletDistances = Callable[[list[str], list[str], list[str]], NDArray[np.float64]]
Vectors = dict[str, NDArray[np.float32]]


@dataclass(frozen=True)
class Triplet:
    """A same-person pair and a photo of another person from its fold."""

    pair: int  # index of the same-person pair in the pair list
    anchor: str
    positive: str
    negative: str
    fold: int


@dataclass(frozen=True)
class HeldOut:
    """Distances of every pair and triplet under one pipeline."""

    pairs: list[Pair]
    distances: NDArray[np.float64]
    triplet_positive: NDArray[np.float64]
    triplet_negative: NDArray[np.float64]
    triplet_folds: NDArray[np.int64]


def euclidean(vectors: Vectors) -> TripletDistances:
    """||anchor - candidate|| between raw descriptors (dlib's metric)."""

    def distances(anchors: list[str], firsts: list[str], seconds: list[str]) -> NDArray[np.float64]:
        a = np.stack([vectors[k] for k in anchors]).astype(np.float64)
        columns = [
            np.linalg.norm(a - np.stack([vectors[k] for k in keys]).astype(np.float64), axis=1)
            for keys in (firsts, seconds)
        ]
        return np.stack(columns, axis=1)

    return distances


def make_triplets(pairs: Sequence[Pair], seed: int) -> list[Triplet]:
    """One triplet per same pair: its two images and another person's image from its fold."""
    rng = np.random.default_rng(seed)
    triplets = []
    for fold in sorted({p.fold for p in pairs}):
        in_fold = [(i, p) for i, p in enumerate(pairs) if p.fold == fold]
        images = sorted(
            {(p.name1, p.image1) for _, p in in_fold} | {(p.name2, p.image2) for _, p in in_fold}
        )
        for index, pair in ((i, p) for i, p in in_fold if p.same):
            others = [key for name, key in images if name != pair.name1]
            negative = others[int(rng.integers(len(others)))]
            triplets.append(Triplet(index, pair.image1, pair.image2, negative, fold))
    return triplets


def held_out_distances(pairs: list[Pair], seed: int, distances: TripletDistances) -> HeldOut:
    """Every pair's and triplet's distances, asking the pipeline once per triplet or pair.

    A triplet's first distance is its same pair's; a different pair is asked as (image1, image2,
    image2). An unanswered pair or triplet (NaN) counts as wrong in every metric that judges it.
    """
    triplets = make_triplets(pairs, seed)
    in_triplet = {t.pair for t in triplets}
    rest = [i for i in range(len(pairs)) if i not in in_triplet]
    answers = distances(
        [t.anchor for t in triplets] + [pairs[i].image1 for i in rest],
        [t.positive for t in triplets] + [pairs[i].image2 for i in rest],
        [t.negative for t in triplets] + [pairs[i].image2 for i in rest],
    )
    count = len(triplets)
    pair_distances = np.empty(len(pairs), dtype=np.float64)
    pair_distances[[t.pair for t in triplets]] = answers[:count, 0]
    pair_distances[rest] = answers[count:, 0]
    return HeldOut(
        pairs,
        pair_distances,
        np.asarray(answers[:count, 0], dtype=np.float64),
        np.asarray(answers[:count, 1], dtype=np.float64),
        np.array([t.fold for t in triplets], dtype=np.int64),
    )


def fold_results(held: HeldOut) -> list[dict[str, float]]:
    """Per fold: threshold chosen on the other folds' pairs, then the metrics.

    Unanswered pairs (NaN distance) count as wrong in accuracy and triplets; AUC and TAR describe
    the distances of the answered ones.
    """
    folds = np.array([p.fold for p in held.pairs])
    same = np.array([p.same for p in held.pairs])
    answered = np.isfinite(held.distances)
    rows = []
    for fold in sorted(set(folds.tolist())):
        test = folds == fold
        tune = ~test & answered
        if not tune.any():
            tune = test & answered
        threshold = metrics.best_threshold(held.distances[tune], same[tune])
        judged = test & answered
        right = (held.distances[judged] <= threshold) == same[judged]
        trip = held.triplet_folds == fold
        rows.append(
            {
                "fold": fold + 1,
                "threshold": threshold,
                "accuracy": float(right.sum() / test.sum()),
                "auc": metrics.roc_auc(held.distances[judged], same[judged]),
                "tar_at_far_1pct": metrics.tar_at_far(held.distances[judged], same[judged], FAR),
                "triplet_accuracy": metrics.triplet_accuracy(
                    held.triplet_positive[trip], held.triplet_negative[trip]
                ),
                "triplets": int(trip.sum()),
                "pairs": int(test.sum()),
                "unanswered": int((test & ~answered).sum()),
            }
        )
    return rows


def slice_results(
    held: HeldOut,
    thresholds: dict[int, float],
    crops: CropSet,
    *,
    extra: dict[str, NDArray[np.bool_]] | None = None,
) -> dict[str, dict[str, float]]:
    """Accuracy per slice of the pairs, each judged with its fold's threshold."""
    pairs = held.pairs
    same = np.array([p.same for p in pairs])
    limits = np.array([thresholds[p.fold] for p in pairs])
    correct = np.isfinite(held.distances) & ((held.distances <= limits) == same)
    row = crops.index()
    i1 = np.array([row[p.image1] for p in pairs])
    i2 = np.array([row[p.image2] for p in pairs])
    grey = crops.greyscale[i1] | crops.greyscale[i2]
    missed = ~(crops.detected[i1] & crops.detected[i2])
    darker = np.minimum(crops.brightness[i1], crops.brightness[i2])
    low, high = np.quantile(darker, [1 / 3, 2 / 3])
    masks = {
        "colour (both photos)": ~grey,
        "greyscale (either photo)": grey,
        "face detected (both)": ~missed,
        "no face found (either photo)": missed,
        f"brightness low tercile (darker crop luma < {low:.0f})": darker < low,
        f"brightness mid tercile ({low:.0f}..{high:.0f})": (darker >= low) & (darker < high),
        f"brightness high tercile (>= {high:.0f})": darker >= high,
        **(extra or {}),
    }
    return {
        name: {
            "pairs": int(mask.sum()),
            "same_share": float(same[mask].mean()) if mask.any() else float("nan"),
            "accuracy": float(correct[mask].mean()) if mask.any() else float("nan"),
        }
        for name, mask in masks.items()
    }


def summarise(rows: list[dict[str, float]]) -> dict[str, object]:
    """Mean and standard deviation over folds of every per-fold metric."""
    out: dict[str, object] = {}
    for key in ("accuracy", "auc", "tar_at_far_1pct", "triplet_accuracy"):
        mean, std = metrics.mean_std([r[key] for r in rows])
        out[key] = {"mean": mean, "std": std}
    out["triplets"] = int(sum(r["triplets"] for r in rows))
    out["pairs"] = int(sum(r["pairs"] for r in rows))
    out["unanswered"] = int(sum(r.get("unanswered", 0) for r in rows))
    out["folds"] = len(rows)
    return out


def pooled_threshold(held: HeldOut) -> float:
    """The threshold to ship: the best one on every answered pair of all folds pooled."""
    same = np.array([p.same for p in held.pairs])
    answered = np.isfinite(held.distances)
    return metrics.best_threshold(held.distances[answered], same[answered])
