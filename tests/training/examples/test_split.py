"""The held-out split: random, stratified, reproducible by seed, disjoint from training."""

from __future__ import annotations

import numpy as np

from training.examples.split import stratified_split, within

LABELS = np.array([0] * 50 + [1] * 30 + [2] * 20, np.int64)


def test_held_out_rows_are_disjoint_from_the_rest_and_cover_every_row() -> None:
    """No row is both trained on and tested on; none is lost."""
    split = stratified_split(LABELS, 0.2, seed=1)
    assert not set(split.kept) & set(split.held_out)
    assert sorted([*split.kept, *split.held_out]) == list(range(len(LABELS)))


def test_every_class_is_held_out_in_proportion() -> None:
    """Stratified: each class contributes its share, not whatever a shuffle gives."""
    split = stratified_split(LABELS, 0.2, seed=1)
    assert np.bincount(LABELS[split.held_out]).tolist() == [10, 6, 4]


def test_the_split_is_random_not_by_index_and_fixed_by_its_seed() -> None:
    """Same seed, same rows; another seed, other rows; not simply the first or last rows."""
    first = stratified_split(LABELS, 0.2, seed=1)
    assert np.array_equal(first.held_out, stratified_split(LABELS, 0.2, seed=1).held_out)
    assert not np.array_equal(first.held_out, stratified_split(LABELS, 0.2, seed=2).held_out)
    class_zero = first.held_out[LABELS[first.held_out] == 0]
    assert not np.array_equal(class_zero, np.arange(10))
    assert not np.array_equal(class_zero, np.arange(40, 50))


def test_a_validation_slice_comes_from_the_training_part_only() -> None:
    """Early stopping looks at rows the held-out figure never includes."""
    split = stratified_split(LABELS, 0.2, seed=1)
    inner = within(split.kept, LABELS, 0.25, seed=2)
    assert set(inner.kept) | set(inner.held_out) == set(split.kept)
    assert not set(inner.held_out) & set(split.held_out)
    assert np.bincount(LABELS[inner.held_out]).tolist() == [10, 6, 4]
