"""A cross-validation split never trains on the people it is tested on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from service.haar_crop import HaarRecipe

from training import pipeline
from training.crops import CropSpec
from training.lfw import Pair
from training.train import TrainConfig


class UnusedCrops:
    """Stands in for the crops: the split must stop before it trains on any."""

    def subset(self, keys: list[str]) -> UnusedCrops:
        return self


def leaky_dataset() -> pipeline.Dataset:
    """Fold 1's pairs name A, whom the fold map (wrongly) puts in fold 0, the training fold."""
    pairs = [
        Pair("A", 1, "A", 2, True, 0),
        Pair("B", 1, "C", 1, False, 0),
        Pair("A", 1, "D", 1, False, 1),  # A again, in the held-out fold
        Pair("D", 1, "D", 2, True, 1),
    ]
    people = {n: [f"{n}/{n}_{i:04d}.jpg" for i in (1, 2)] for n in "ABCD"}
    fold_of = {"A": 0, "B": 0, "C": 0, "D": 1}
    source = pipeline.DataSource(Path("unused"), CropSpec(HaarRecipe(), (80, 80), 3))
    return pipeline.Dataset(source, Path("unused"), pairs, fold_of, people, UnusedCrops())  # type: ignore[arg-type]


def test_a_split_refuses_to_train_on_held_out_people(monkeypatch: pytest.MonkeyPatch) -> None:
    def train(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("trained a model whose test pairs include its training people")

    monkeypatch.setattr(pipeline, "fit_embedding", train)
    with pytest.raises(RuntimeError, match="held-out people were in training"):
        pipeline.run_split(leaky_dataset(), TrainConfig(), (0,), (1,), log=lambda _: None)
