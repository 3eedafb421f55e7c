"""A same-person probability from a distance: logistic (Platt) calibration and how reliable it is.

The shipped form is p(same | d) = 1 / (1 + exp(-slope * (d - threshold))): the logistic's 0.5 point
is the threshold itself, so "same person" (d <= threshold) and "probability >= 0.5" are one
comparison and can never disagree. Only the slope is fitted, by maximum likelihood on labelled
pairs. It is calibrated at the prior of the pairs it was fitted on (LFW View 2: half the pairs are
the same person); reliability is measured on pairs the fit never saw (one fold out at a time, each
fold centred on its own threshold, chosen on the other nine folds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Logistic:
    """The fitted map from distance to probability."""

    intercept: float
    slope: float

    def probability(self, distances: NDArray[np.floating]) -> FloatArray:
        """P(same person) for each distance, computed without overflow."""
        z = self.intercept + self.slope * np.asarray(distances, dtype=np.float64)
        return np.asarray(np.exp(-np.logaddexp(0.0, -z)), dtype=np.float64)

    @property
    def midpoint(self) -> float:
        """The distance at which the probability is one half."""
        return -self.intercept / self.slope

    def as_manifest(self) -> dict[str, Any]:
        """The form the service reads (service.kinds.face.manifest.Calibration): centred on the threshold."""
        return {"method": "logistic-at-threshold", "slope": self.slope}


def fit_logistic(
    distances: NDArray[np.floating], same: NDArray[np.bool_], *, iterations: int = 50
) -> Logistic:
    """Newton-Raphson on the log-likelihood of [1, d]; a tiny ridge keeps separable data finite."""
    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(same, dtype=np.float64)
    if d.size == 0 or y.min() == y.max():
        raise ValueError("calibration needs both same-person and different-person pairs")
    x = np.column_stack([np.ones_like(d), d])
    w = np.zeros(2)
    ridge = 1e-6 * np.eye(2)
    for _ in range(iterations):
        p = np.exp(-np.logaddexp(0.0, -(x @ w)))
        gradient = x.T @ (y - p) - ridge @ w
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        w += step
        if np.abs(step).max() < 1e-10:
            break
    return Logistic(float(w[0]), float(w[1]))


def fit_at_threshold(
    distances: NDArray[np.floating],
    same: NDArray[np.bool_],
    threshold: float,
    *,
    iterations: int = 50,
) -> Logistic:
    """The slope of a logistic whose 0.5 point is the threshold (Newton-Raphson, tiny ridge)."""
    x = np.asarray(distances, dtype=np.float64) - threshold
    y = np.asarray(same, dtype=np.float64)
    if x.size == 0 or y.min() == y.max():
        raise ValueError("calibration needs both same-person and different-person pairs")
    slope = 0.0
    for _ in range(iterations):
        p = np.exp(-np.logaddexp(0.0, -(slope * x)))
        gradient = float(x @ (y - p)) - 1e-6 * slope
        hessian = float((x * x) @ (p * (1.0 - p))) + 1e-6
        step = gradient / hessian
        slope += step
        if abs(step) < 1e-10:
            break
    return Logistic(-slope * threshold, slope)


def reliability(
    probabilities: NDArray[np.floating], same: NDArray[np.bool_], bins: int = 10
) -> dict[str, Any]:
    """Expected calibration error, Brier score, log loss and the per-bin table (equal-width bins)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0 - 1e-12)
    y = np.asarray(same, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        rows = index == b
        if not rows.any():
            continue
        mean_p, share = float(p[rows].mean()), float(y[rows].mean())
        ece += rows.mean() * abs(mean_p - share)
        table.append(
            {
                "from": float(edges[b]),
                "to": float(edges[b + 1]),
                "pairs": int(rows.sum()),
                "mean_probability": mean_p,
                "same_share": share,
            }
        )
    return {
        "ece": float(ece),
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))),
        "bins": table,
    }


def cross_validated(
    distances: NDArray[np.floating],
    same: NDArray[np.bool_],
    folds: NDArray[np.integer],
    thresholds: dict[int, float],
) -> FloatArray:
    """Each pair's probability from a fit on the other folds only, centred on its fold's threshold."""
    d = np.asarray(distances, dtype=np.float64)
    out = np.empty_like(d)
    for fold in np.unique(folds):
        test = folds == fold
        fit = fit_at_threshold(d[~test], same[~test], thresholds[int(fold)])
        out[test] = fit.probability(d[test])
    return out
