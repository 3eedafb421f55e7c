"""The verdicts: turn distances, a threshold and the model's calibration into the product's answer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Verdict:
    """One distance judged against the threshold."""

    distance: float
    same_person: bool
    probability: float | None = None


@dataclass(frozen=True)
class Comparison:
    """Anchor against two candidates."""

    most_similar: Literal["img1", "img2"]
    img1: Verdict
    img2: Verdict
    threshold: float


def logistic(z: float) -> float:
    """1 / (1 + e^-z) without overflow; exactly 0.5 at 0, >= 0.5 for z >= 0 and < 0.5 below."""
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def judge(distance: float, threshold: float, slope: float | None = None) -> Verdict:
    """Same person at or below the threshold; with a calibration slope, verdict and probability
    come from one number, the log-odds slope * (distance - threshold), so they never disagree."""
    if slope is None:
        return Verdict(distance=distance, same_person=distance <= threshold)
    log_odds = slope * (distance - threshold)  # slope < 0: >= 0 exactly when distance <= threshold
    return Verdict(distance=distance, same_person=log_odds >= 0, probability=logistic(log_odds))


def compare(
    d_img1: float, d_img2: float, threshold: float, slope: float | None = None
) -> Comparison:
    """Pick the closer candidate (img1 on an exact tie) and judge both."""
    most: Literal["img1", "img2"] = "img1" if d_img1 <= d_img2 else "img2"
    return Comparison(
        most, judge(d_img1, threshold, slope), judge(d_img2, threshold, slope), threshold
    )
