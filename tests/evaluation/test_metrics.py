"""The numpy verification metrics on hand-made distances."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import metrics


def test_accuracy_at_counts_distance_equal_to_threshold_as_same() -> None:
    d = np.array([0.1, 0.5, 0.5, 0.9])
    same = np.array([True, True, False, False])
    assert metrics.accuracy_at(d, same, 0.5) == 0.75
    assert metrics.accuracy_at(d, same, 0.49) == 0.75
    assert metrics.accuracy_at(d, same, 0.05) == 0.5


def test_best_threshold_separates_perfectly_separable_pairs() -> None:
    d = np.array([0.1, 0.2, 0.3, 0.6, 0.7])
    same = np.array([True, True, True, False, False])
    threshold = metrics.best_threshold(d, same)
    assert threshold == pytest.approx(0.45)
    assert metrics.accuracy_at(d, same, threshold) == 1.0


def test_best_threshold_never_cuts_between_tied_distances() -> None:
    d = np.array([0.2, 0.4, 0.4, 0.8])
    same = np.array([True, True, False, False])
    threshold = metrics.best_threshold(d, same)
    assert metrics.accuracy_at(d, same, threshold) == 0.75
    assert threshold not in (0.4,)


def test_best_threshold_may_reject_everything() -> None:
    d = np.array([0.1, 0.2, 0.3])
    same = np.array([False, False, True])
    assert metrics.accuracy_at(d, same, metrics.best_threshold(d, same)) == pytest.approx(2 / 3)


def test_roc_auc_perfect_reversed_and_tied() -> None:
    same = np.array([True, True, False, False])
    assert metrics.roc_auc(np.array([0.1, 0.2, 0.3, 0.4]), same) == 1.0
    assert metrics.roc_auc(np.array([0.4, 0.3, 0.2, 0.1]), same) == 0.0
    assert metrics.roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), same) == 0.5
    # One same pair ties one different pair, the rest ordered: (3 + 0.5) / 4.
    assert metrics.roc_auc(np.array([0.1, 0.3, 0.3, 0.4]), same) == pytest.approx(0.875)


def test_roc_auc_needs_both_classes() -> None:
    with pytest.raises(ValueError):
        metrics.roc_auc(np.array([0.1, 0.2]), np.array([True, True]))


def test_tar_at_far_allows_only_the_given_share_of_false_accepts() -> None:
    negatives = np.linspace(0.5, 1.0, 100)  # 100 different pairs: 1 % = one false accept allowed
    positives = np.array([0.1, 0.2, 0.505, 0.52, 0.6])
    d = np.concatenate([positives, negatives])
    same = np.concatenate([np.ones(5, bool), np.zeros(100, bool)])
    # Accept below the 2nd closest negative (~0.50505): 0.1, 0.2 and 0.505 pass.
    assert metrics.tar_at_far(d, same, 0.01) == pytest.approx(3 / 5)
    assert metrics.tar_at_far(d, same, 0.0) == pytest.approx(2 / 5)


def test_triplet_accuracy_counts_ties_as_wrong() -> None:
    assert metrics.triplet_accuracy(
        np.array([0.1, 0.5, 0.3]), np.array([0.2, 0.5, 0.1])
    ) == pytest.approx(1 / 3)


def test_mean_std_uses_sample_std() -> None:
    mean, std = metrics.mean_std([0.8, 0.9, 1.0])
    assert mean == pytest.approx(0.9)
    assert std == pytest.approx(0.1)
    assert metrics.mean_std([0.7]) == (0.7, 0.0)


def test_the_roc_curve_reaches_every_far_and_tar_rises_with_it() -> None:
    rng = np.random.default_rng(7)
    d = np.concatenate([rng.normal(0.4, 0.08, 3000), rng.normal(0.8, 0.08, 3000)])
    same = np.arange(6000) < 3000
    roc = metrics.roc_curve(d, same)
    far, tar = np.array(roc["far"]), np.array(roc["tar"])
    assert far[0] == pytest.approx(1 / 3000) and far[-1] == 1.0 and tar[-1] == 1.0
    assert np.all(np.diff(far) > 0) and np.all(np.diff(tar) >= 0)
    # At FAR 1 % the curve says what tar_at_far says.
    k = int(np.searchsorted(far, 0.01))
    assert tar[k] == pytest.approx(metrics.tar_at_far(d, same, 0.01), abs=0.01)
    assert 50 < len(far) <= 120
