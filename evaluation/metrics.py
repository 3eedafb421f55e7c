"""Verification metrics on distances, numpy only: accuracy, best threshold, ROC AUC, TAR@FAR."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.floating]
BoolArray = NDArray[np.bool_]


def accuracy_at(distances: FloatArray, same: BoolArray, threshold: float) -> float:
    """Fraction of pairs judged right when 'same person' means distance <= threshold."""
    return float(np.mean((distances <= threshold) == same))


def best_threshold(distances: FloatArray, same: BoolArray) -> float:
    """The threshold with the highest accuracy on these pairs (midpoint between neighbouring distances)."""
    order = np.argsort(distances, kind="stable")
    d = np.asarray(distances, dtype=np.float64)[order]
    s = np.asarray(same, dtype=bool)[order]
    n = len(d)
    # Accepting the first k sorted pairs: correct = same among them + different among the rest.
    same_accepted = np.concatenate([[0], np.cumsum(s)])
    diff_rejected = (~s).sum() - np.concatenate([[0], np.cumsum(~s)])
    correct = same_accepted + diff_rejected
    # Only cut between distinct distances, so the threshold really separates the two groups.
    valid = np.ones(n + 1, dtype=bool)
    valid[1:n] = d[1:] > d[:-1]
    correct = np.where(valid, correct, -1)
    k = int(np.argmax(correct))
    if k == 0:
        return float(d[0] - 1e-6)
    if k == n:
        return float(d[-1] + 1e-6)
    return float((d[k - 1] + d[k]) / 2.0)


def roc_auc(distances: FloatArray, same: BoolArray) -> float:
    """Probability that a same-person pair is closer than a different-person pair (ties count half)."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    n_pos, n_neg = int(s.sum()), int((~s).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both same and different pairs")
    ranks = _average_ranks(-d)  # higher score = closer
    return float((ranks[s].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def roc_curve(distances: FloatArray, same: BoolArray, points: int = 120) -> dict[str, list[float]]:
    """(FAR, TAR) at thresholds on the different pairs' distances, log-spaced in FAR (a plot's worth)."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    negatives = np.sort(d[~s])
    positives = np.sort(d[s])
    far = np.arange(1, negatives.size + 1) / negatives.size
    tar = np.searchsorted(positives, negatives, side="right") / positives.size
    wanted = np.geomspace(far[0], 1.0, points)
    take = np.unique(np.clip(np.searchsorted(far, wanted), 0, far.size - 1))
    return {"far": far[take].tolist(), "tar": tar[take].tolist()}


def _average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks with ties given their average rank (the Mann-Whitney convention)."""
    order = np.argsort(values, kind="stable")
    sorted_vals = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_vals)) + 1])
    ends = np.concatenate([starts[1:], [len(values)]])
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return ranks


def tar_at_far(distances: FloatArray, same: BoolArray, far: float = 0.01) -> float:
    """Share of same pairs accepted at the loosest threshold accepting at most `far` of different pairs."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    negatives = np.sort(d[~s])
    allowed = int(np.floor(far * len(negatives)))
    if allowed >= len(negatives):
        return 1.0
    # Accept strictly below the (allowed+1)-th closest different pair: at most `allowed` false accepts.
    limit = negatives[allowed]
    return float(np.mean(d[s] < limit))


def triplet_accuracy(positive: FloatArray, negative: FloatArray) -> float:
    """Fraction of triplets where the same-person candidate is strictly closer to the anchor."""
    return float(np.mean(np.asarray(positive) < np.asarray(negative)))


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1, the LFW convention), 0 spread for one value."""
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
