"""The verdicts: turn distances and a threshold into the product's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Verdict:
    """One distance judged against the threshold."""

    distance: float
    same_person: bool


@dataclass(frozen=True)
class Comparison:
    """Anchor against two candidates."""

    most_similar: Literal["img1", "img2"]
    img1: Verdict
    img2: Verdict
    threshold: float


def judge(distance: float, threshold: float) -> Verdict:
    """Same person when the distance is at or below the threshold."""
    return Verdict(distance=distance, same_person=distance <= threshold)


def compare(d_img1: float, d_img2: float, threshold: float) -> Comparison:
    """Pick the closer candidate (img1 on an exact tie) and judge both."""
    most: Literal["img1", "img2"] = "img1" if d_img1 <= d_img2 else "img2"
    return Comparison(most, judge(d_img1, threshold), judge(d_img2, threshold), threshold)
