"""The verdicts: turn distances, a threshold and the model's calibration into the product's answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# Distance -> P(same person); None when the model carries no calibration.
Calibrate = Callable[[float], float | None] | None


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


def judge(distance: float, threshold: float, calibrate: Calibrate = None) -> Verdict:
    """Same person when the distance is at or below the threshold; the probability rides along."""
    probability = calibrate(distance) if calibrate is not None else None
    return Verdict(distance=distance, same_person=distance <= threshold, probability=probability)


def compare(
    d_img1: float, d_img2: float, threshold: float, calibrate: Calibrate = None
) -> Comparison:
    """Pick the closer candidate (img1 on an exact tie) and judge both."""
    most: Literal["img1", "img2"] = "img1" if d_img1 <= d_img2 else "img2"
    return Comparison(
        most, judge(d_img1, threshold, calibrate), judge(d_img2, threshold, calibrate), threshold
    )
