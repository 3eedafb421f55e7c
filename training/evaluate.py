"""LFW View 2, identity-disjoint: train without the held-out folds' people, test on their pairs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from training import metrics
from training.crops import CropSet
from training.lfw import Pair

Split = tuple[tuple[int, ...], tuple[int, ...]]  # (training folds, held-out folds), 0-based
FOLDS = tuple(range(10))
# Ten trainings, each on the people of nine folds (+ non-pairs people): the standard LFW protocol.
TEN_FOLD: tuple[Split, ...] = tuple((tuple(f for f in FOLDS if f != k), (k,)) for k in FOLDS)
# Two trainings on half the people each: a quicker, more pessimistic estimate.
HALVES: tuple[Split, ...] = (
    ((0, 1, 2, 3, 4), (5, 6, 7, 8, 9)),
    ((5, 6, 7, 8, 9), (0, 1, 2, 3, 4)),
)
PROTOCOLS: dict[str, tuple[Split, ...]] = {"ten-fold": TEN_FOLD, "halves": HALVES}
FAR = 0.01


@dataclass(frozen=True)
class HeldOut:
    """Distances of held-out pairs and triplets under the model that never saw their people."""

    pairs: list[Pair]
    distances: NDArray[np.float64]
    triplet_positive: NDArray[np.float64]
    triplet_negative: NDArray[np.float64]
    triplet_folds: NDArray[np.int64]


def euclidean_distances(
    vectors: dict[str, NDArray[np.float32]], a: Sequence[str], b: Sequence[str]
) -> NDArray[np.float64]:
    """||a - b|| between raw embeddings (dlib's metric); NaN where an image has no embedding."""
    va = np.stack([vectors[k] for k in a]).astype(np.float64)
    vb = np.stack([vectors[k] for k in b]).astype(np.float64)
    return np.asarray(np.linalg.norm(va - vb, axis=1), dtype=np.float64)


def cosine_distances(
    vectors: dict[str, NDArray[np.float32]], a: Sequence[str], b: Sequence[str]
) -> NDArray[np.float64]:
    """1 - cos between unit embeddings, matching the saved model's output."""
    va = np.stack([vectors[k] for k in a]).astype(np.float64)
    vb = np.stack([vectors[k] for k in b]).astype(np.float64)
    va /= np.linalg.norm(va, axis=1, keepdims=True)
    vb /= np.linalg.norm(vb, axis=1, keepdims=True)
    return np.asarray(1.0 - (va * vb).sum(axis=1), dtype=np.float64)


def make_triplets(pairs: list[Pair], seed: int) -> list[tuple[str, str, str, int]]:
    """(anchor, same-person image, other person's image, fold): one per same pair, negative from its fold."""
    rng = np.random.default_rng(seed)
    triplets = []
    for fold in sorted({p.fold for p in pairs}):
        in_fold = [p for p in pairs if p.fold == fold]
        images = sorted(
            {(p.name1, p.image1) for p in in_fold} | {(p.name2, p.image2) for p in in_fold}
        )
        for pair in (p for p in in_fold if p.same):
            others = [key for name, key in images if name != pair.name1]
            negative = others[int(rng.integers(len(others)))]
            triplets.append((pair.image1, pair.image2, negative, fold))
    return triplets


def held_out_distances(
    vectors: dict[str, NDArray[np.float32]],
    pairs: list[Pair],
    seed: int,
    metric: Callable[..., NDArray[np.float64]] = cosine_distances,
) -> HeldOut:
    """Pair and triplet distances for the held-out pairs, given their images' embeddings.

    An image without an embedding (no face found, so the service would answer 422) has NaN rows,
    and every pair and triplet it is in counts as answered wrongly.
    """
    triplets = make_triplets(pairs, seed)
    return HeldOut(
        pairs,
        metric(vectors, [p.image1 for p in pairs], [p.image2 for p in pairs]),
        metric(vectors, [t[0] for t in triplets], [t[1] for t in triplets]),
        metric(vectors, [t[0] for t in triplets], [t[2] for t in triplets]),
        np.array([t[3] for t in triplets], dtype=np.int64),
    )


def merge(helds: list[HeldOut]) -> HeldOut:
    """The held-out distances of every split as one set (each pair scored by its own split's model)."""
    return HeldOut(
        [p for h in helds for p in h.pairs],
        np.concatenate([h.distances for h in helds]),
        np.concatenate([h.triplet_positive for h in helds]),
        np.concatenate([h.triplet_negative for h in helds]),
        np.concatenate([h.triplet_folds for h in helds]),
    )


def fold_results(held: HeldOut) -> list[dict[str, float]]:
    """Per held-out fold: threshold chosen on the other folds' held-out pairs, then the metrics.

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
    helds: list[HeldOut],
    thresholds: dict[int, float],
    crops: CropSet,
    *,
    missed: str = "fallback crop (either)",
    extra: dict[str, NDArray[np.bool_]] | None = None,
) -> dict[str, dict[str, float]]:
    """Accuracy per slice of the held-out pairs, each judged with its fold's threshold."""
    pairs = [p for h in helds for p in h.pairs]
    distances = np.concatenate([h.distances for h in helds])
    same = np.array([p.same for p in pairs])
    limits = np.array([thresholds[p.fold] for p in pairs])
    correct = np.isfinite(distances) & ((distances <= limits) == same)
    row = crops.index()
    i1 = np.array([row[p.image1] for p in pairs])
    i2 = np.array([row[p.image2] for p in pairs])
    grey = crops.greyscale[i1] | crops.greyscale[i2]
    fallback = ~(crops.detected[i1] & crops.detected[i2])
    darker = np.minimum(crops.brightness[i1], crops.brightness[i2])
    low, high = np.quantile(darker, [1 / 3, 2 / 3])
    masks = {
        "colour (both photos)": ~grey,
        "greyscale (either photo)": grey,
        "face detected (both)": ~fallback,
        missed: fallback,
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


def shipped_threshold(helds: list[HeldOut]) -> float:
    """The served threshold: the best one on all cross-validated held-out distances pooled."""
    distances = np.concatenate([h.distances for h in helds])
    same = np.array([p.same for h in helds for p in h.pairs])
    answered = np.isfinite(distances)
    return metrics.best_threshold(distances[answered], same[answered])


def check_disjoint(train_keys: list[str], pairs: list[Pair]) -> None:
    """Refuse to evaluate a model on pairs whose people it trained on."""
    trained = {k.split("/", 1)[0] for k in train_keys}
    leaked = trained & {n for p in pairs for n in (p.name1, p.name2)}
    if leaked:
        raise RuntimeError(
            f"{len(leaked)} held-out people were in training, e.g. {sorted(leaked)[:3]}"
        )
