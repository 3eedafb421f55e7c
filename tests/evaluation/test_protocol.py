"""The protocol's bookkeeping: triplets, one question per pair or triplet, per-fold thresholds, slices."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import protocol
from evaluation.crops import CropSet
from evaluation.lfw import Pair


def pairs_two_folds() -> list[Pair]:
    """Two folds, each with two same and two different pairs over four people."""
    out = []
    for fold, (a, b, c, d) in enumerate((("A", "B", "C", "D"), ("E", "F", "G", "H"))):
        out += [
            Pair(a, 1, a, 2, True, fold),
            Pair(b, 1, b, 2, True, fold),
            Pair(c, 1, d, 1, False, fold),
            Pair(a, 1, c, 1, False, fold),
        ]
    return out


def test_triplet_negatives_are_another_person_from_the_same_fold() -> None:
    pairs = pairs_two_folds()
    triplets = protocol.make_triplets(pairs, seed=0)
    assert len(triplets) == 4
    fold_people = {0: set("ABCD"), 1: set("EFGH")}
    for t in triplets:
        assert pairs[t.pair].same and (pairs[t.pair].image1, pairs[t.pair].image2) == (
            t.anchor,
            t.positive,
        )
        assert t.negative.split("/")[0] != t.anchor.split("/")[0]
        assert t.negative.split("/")[0] in fold_people[t.fold]
    assert protocol.make_triplets(pairs, seed=0) == triplets


def test_every_pair_and_triplet_gets_the_distance_the_pipeline_answers_for_it() -> None:
    pairs = pairs_two_folds()
    place = {
        k: float(i) for i, k in enumerate(sorted({k for p in pairs for k in (p.image1, p.image2)}))
    }
    vectors = {k: np.array([v, 0.0], dtype=np.float32) for k, v in place.items()}
    asked: list[int] = []

    def pipeline(anchors: list[str], firsts: list[str], seconds: list[str]) -> np.ndarray:
        asked.append(len(anchors))
        return protocol.euclidean(vectors)(anchors, firsts, seconds)

    held = protocol.held_out_distances(pairs, 0, pipeline)
    assert asked == [len(pairs)]  # one question per triplet or different pair, all in one call
    for pair, distance in zip(pairs, held.distances, strict=True):
        assert distance == abs(place[pair.image1] - place[pair.image2])
    for t, positive, negative in zip(
        protocol.make_triplets(pairs, 0), held.triplet_positive, held.triplet_negative, strict=True
    ):
        assert positive == abs(place[t.anchor] - place[t.positive])
        assert negative == abs(place[t.anchor] - place[t.negative])


def test_an_unanswered_pair_counts_as_wrong() -> None:
    pairs = pairs_two_folds()
    d = np.array([0.1, np.nan, 0.9, 0.95, 0.1, 0.2, 0.9, 0.95])
    triplets = np.array([0.1, 0.1]), np.array([0.9, 0.9]), np.array([0, 1])
    held = protocol.HeldOut(pairs, d, *triplets)
    rows = protocol.fold_results(held)
    assert rows[0]["accuracy"] == 0.75 and rows[0]["unanswered"] == 1
    assert rows[1]["accuracy"] == 1.0


def test_each_fold_threshold_comes_from_the_other_folds_only() -> None:
    pairs = pairs_two_folds()
    # Fold 0 separates at 0.55; fold 1 is shifted so its own best threshold would be ~0.85.
    d = np.array([0.1, 0.2, 0.9, 0.95, 0.7, 0.75, 0.95, 0.99])
    held = protocol.HeldOut(pairs, d, np.array([0.1, 0.2]), np.array([0.5, 0.1]), np.array([0, 1]))
    rows = protocol.fold_results(held)
    assert rows[0]["threshold"] == pytest.approx(0.85)  # tuned on fold 1
    assert rows[0]["accuracy"] == 1.0
    assert rows[1]["threshold"] == pytest.approx(0.55)  # tuned on fold 0: fold 1's same pairs fail
    assert rows[1]["accuracy"] == 0.5
    assert rows[0]["triplet_accuracy"] == 1.0 and rows[1]["triplet_accuracy"] == 0.0


def test_slices_split_pairs_by_photo_facts() -> None:
    pairs = pairs_two_folds()[:4]
    keys = sorted({k for p in pairs for k in (p.image1, p.image2)})
    n = len(keys)
    crops = CropSet(
        keys,
        np.zeros((n, 2, 2, 3), np.uint8),
        np.array([k != "D/D_0001.jpg" for k in keys]),
        np.array([k == "B/B_0001.jpg" for k in keys]),
        np.linspace(50, 200, n).astype(np.float32),
    )
    held = protocol.HeldOut(
        pairs, np.array([0.1, 0.9, 0.9, 0.1]), np.zeros(0), np.zeros(0), np.zeros(0, np.int64)
    )
    slices = protocol.slice_results(held, {0: 0.5}, crops)
    assert slices["greyscale (either photo)"] == {"pairs": 1, "same_share": 1.0, "accuracy": 0.0}
    assert slices["no face found (either photo)"] == {
        "pairs": 1,
        "same_share": 0.0,
        "accuracy": 1.0,
    }
    assert slices["colour (both photos)"]["pairs"] == 3
    assert sum(v["pairs"] for k, v in slices.items() if k.startswith("brightness")) == 4
