"""What the two classifier kinds share: the labels check, the answer, and its schema."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from service.errors import ModelError
from service.inference import Array, BatchFunction
from service.kinds.base import Forward
from service.model import Tensor
from service.schemas import ModelRef


class Prediction(BaseModel):
    """One input's most likely label and the probability of every label."""

    label: str = Field(description="the most likely label", examples=["7"])
    probabilities: dict[str, float] = Field(
        description="every label's probability, summing to 1", examples=[{"0": 0.01, "7": 0.99}]
    )


def probabilities(
    outputs: Sequence[Tensor], labels: Sequence[str], predict: Forward
) -> BatchFunction:
    """The queue's function of a classifier: its one output, of one probability per label.

    A model with other outputs is refused, naming the mismatch.
    """
    shapes = [list(t.shape) for t in outputs]
    if shapes != [[len(labels)]]:
        raise ModelError(
            f"model outputs {shapes}; the manifest's {len(labels)} labels need one output "
            f"of shape [{len(labels)}] (probabilities, e.g. softmax)"
        )

    def first_output(inputs: list[Array]) -> NDArray[np.float64]:
        return predict(inputs)[0]

    return first_output


def predictions(rows: NDArray[np.float64], labels: Sequence[str]) -> list[Prediction]:
    """Each row of probabilities as a Prediction (renormalised: float32 softmax drifts by 1e-7)."""
    out = []
    for row in rows:
        p = np.clip(row, 0.0, None)
        p = p / p.sum() if p.sum() > 0 else np.full_like(p, 1.0 / len(p))
        out.append(
            Prediction(
                label=labels[int(np.argmax(p))],
                probabilities={label: float(v) for label, v in zip(labels, p, strict=True)},
            )
        )
    return out


def model_ref(name: str, version: str) -> ModelRef:
    """Name and version of the answering model."""
    return ModelRef(name=name, version=version)
