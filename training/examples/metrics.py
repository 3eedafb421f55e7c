"""Held-out figures for the manifest and the card: accuracy, confusion, per class, per slice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class ClassFigures:
    """One label's support, precision and recall (None when nothing was predicted as it)."""

    label: str
    support: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class SliceFigures:
    """The rows whose feature has one value: how many, and how the model did on them."""

    feature: str
    value: str
    count: int
    accuracy: float | None
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class Evaluation:
    """Everything measured on the held-out part."""

    labels: list[str]
    rows: int
    accuracy: float
    confusion: list[list[int]]  # [true][predicted]
    per_class: list[ClassFigures]

    def as_manifest(self) -> dict[str, Any]:
        """The manifest's metrics block."""
        return {
            "held_out_accuracy": round(self.accuracy, 6),
            "held_out_rows": self.rows,
            "confusion_matrix": {
                "rows": "true label",
                "columns": "predicted label",
                "values": self.confusion,
            },
            "per_class": [
                {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(c).items()}
                for c in self.per_class
            ],
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def evaluate(
    truth: NDArray[np.int64], predicted: NDArray[np.int64], labels: Sequence[str]
) -> Evaluation:
    """Accuracy, confusion matrix and per-class precision/recall of predicted against true labels."""
    classes = len(labels)
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    per_class = [
        ClassFigures(
            label=label,
            support=int(confusion[i].sum()),
            precision=_ratio(int(confusion[i, i]), int(confusion[:, i].sum())),
            recall=_ratio(int(confusion[i, i]), int(confusion[i].sum())),
        )
        for i, label in enumerate(labels)
    ]
    return Evaluation(
        labels=list(labels),
        rows=len(truth),
        accuracy=float((truth == predicted).mean()),
        confusion=confusion.tolist(),
        per_class=per_class,
    )


def slices(
    values: Sequence[str],
    feature: str,
    categories: Sequence[str],
    truth: NDArray[np.int64],
    predicted: NDArray[np.int64],
    positive: int,
) -> list[SliceFigures]:
    """For every category of a feature: count, accuracy, and precision/recall of the positive label."""
    column = np.asarray(values)
    figures = []
    for category in categories:
        rows = column == category
        true_slice, predicted_slice = truth[rows], predicted[rows]
        hits = int(((true_slice == positive) & (predicted_slice == positive)).sum())
        figures.append(
            SliceFigures(
                feature=feature,
                value=category,
                count=int(rows.sum()),
                accuracy=float((true_slice == predicted_slice).mean()) if rows.any() else None,
                precision=_ratio(hits, int((predicted_slice == positive).sum())),
                recall=_ratio(hits, int((true_slice == positive).sum())),
            )
        )
    return figures
