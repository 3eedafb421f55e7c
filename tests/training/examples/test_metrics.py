"""Held-out figures: confusion orientation, per-class precision/recall, slices."""

from __future__ import annotations

import numpy as np

from training.examples.metrics import evaluate, slices

TRUTH = np.array([0, 0, 0, 1, 1, 1, 1, 0], np.int64)
PREDICTED = np.array([0, 0, 1, 1, 1, 0, 1, 0], np.int64)


def test_confusion_rows_are_true_labels_and_columns_predictions() -> None:
    """[true][predicted], so the card's table reads the way its caption says."""
    evaluation = evaluate(TRUTH, PREDICTED, ["no", "yes"])
    assert evaluation.confusion == [[3, 1], [1, 3]]
    assert evaluation.accuracy == 0.75 and evaluation.rows == 8


def test_per_class_precision_and_recall() -> None:
    """Precision over predictions of the class, recall over its true rows; None when undefined."""
    evaluation = evaluate(np.array([0, 0, 1]), np.array([0, 0, 0]), ["no", "yes"])
    no, yes = evaluation.per_class
    assert (no.support, no.precision, no.recall) == (2, 2 / 3, 1.0)
    assert (yes.support, yes.precision, yes.recall) == (1, None, 0.0)


def test_slices_cover_every_category_even_an_empty_one() -> None:
    """Every value of the feature gets a row of the table, with its own count and figures."""
    values = ["a", "a", "b", "b", "b", "b", "a", "a"]
    figures = slices(values, "group", ["a", "b", "c"], TRUTH, PREDICTED, positive=1)
    by_value = {f.value: f for f in figures}
    assert [f.count for f in figures] == [4, 4, 0]
    assert by_value["a"].accuracy == 1.0 and by_value["b"].accuracy == 0.5
    assert (by_value["b"].precision, by_value["b"].recall) == (2 / 3, 2 / 3)
    assert by_value["c"].accuracy is None and by_value["c"].precision is None
