"""The protocol's bookkeeping: triplets, per-fold thresholds, identity-disjointness, slices."""

from __future__ import annotations

import numpy as np
import pytest

from training import evaluate as protocol
from training.crops import CropSet
from training.lfw import Pair


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
    for anchor, positive, negative, fold in triplets:
        assert anchor.split("/")[0] == positive.split("/")[0]
        assert negative.split("/")[0] != anchor.split("/")[0]
        assert negative.split("/")[0] in fold_people[fold]
    assert protocol.make_triplets(pairs, seed=0) == triplets


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


def test_training_on_a_held_out_person_is_refused() -> None:
    with pytest.raises(RuntimeError, match="held-out"):
        protocol.check_disjoint(["Z/Z_0001.jpg", "A/A_0003.jpg"], pairs_two_folds())
    protocol.check_disjoint(["Z/Z_0001.jpg"], pairs_two_folds())


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
    slices = protocol.slice_results([held], {0: 0.5}, crops)
    assert slices["greyscale (either photo)"] == {"pairs": 1, "same_share": 1.0, "accuracy": 0.0}
    assert slices["fallback crop (either)"] == {"pairs": 1, "same_share": 0.0, "accuracy": 1.0}
    assert slices["colour (both photos)"]["pairs"] == 3
    assert sum(v["pairs"] for k, v in slices.items() if k.startswith("brightness")) == 4


def test_ten_fold_holds_out_each_fold_once_and_trains_on_the_other_nine() -> None:
    splits = protocol.PROTOCOLS["ten-fold"]
    assert sorted(test for _, (test,) in splits) == list(range(10))
    for train, test in splits:
        assert set(train) | set(test) == set(range(10)) and not set(train) & set(test)
    halves = protocol.PROTOCOLS["halves"]
    assert sorted(f for _, test in halves for f in test) == list(range(10))


def test_merged_splits_pick_each_threshold_on_the_other_splits_folds() -> None:
    pairs = pairs_two_folds()
    d = np.array([0.1, 0.2, 0.9, 0.95, 0.7, 0.75, 0.95, 0.99])
    first = protocol.HeldOut(pairs[:4], d[:4], np.array([0.1]), np.array([0.5]), np.array([0]))
    second = protocol.HeldOut(pairs[4:], d[4:], np.array([0.2]), np.array([0.1]), np.array([1]))
    merged = protocol.merge([first, second])
    assert len(merged.pairs) == 8 and merged.triplet_folds.tolist() == [0, 1]
    rows = protocol.fold_results(merged)
    assert rows[0]["threshold"] == pytest.approx(0.85)  # from the other split's fold only
    assert rows[1]["threshold"] == pytest.approx(0.55)
    assert [r["triplet_accuracy"] for r in rows] == [1.0, 0.0]
