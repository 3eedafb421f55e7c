"""Training progress: a bar with the time left on a terminal, a line per epoch in CI logs."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from tqdm.keras import TqdmCallback

from training.examples import keras_models
from training.examples.keras_models import FitSettings

SETTINGS = FitSettings(epochs=3, batch_size=8, learning_rate=1e-3, patience=5)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _tiny_fit(log: Any) -> list[dict[str, float]]:
    data = np.random.default_rng(0)
    rows = {
        "numeric": data.normal(size=(24, 3)).astype(np.float32),
        "categorical": data.integers(0, 4, (24, 1)).astype(np.float32),
    }
    labels = data.integers(0, 2, 24)
    model = keras_models.tabular_mlp(rows["numeric"][:16], [4], 2)
    train = ({k: v[:16] for k, v in rows.items()}, labels[:16])
    return keras_models.fit(
        model, train, ({k: v[16:] for k, v in rows.items()}, labels[16:]), SETTINGS, log=log
    )


def test_each_epoch_is_logged_as_it_ends_when_not_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    lines: list[str] = []
    history = _tiny_fit(lines.append)
    assert len(lines) == len(history) == SETTINGS.epochs
    assert lines[0].startswith("  epoch 1: ") and "val_loss" in lines[0]


def test_a_terminal_gets_a_bar_with_the_time_left_instead_of_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert isinstance(keras_models.progress(SETTINGS, print), TqdmCallback)
    lines: list[str] = []
    _tiny_fit(lines.append)
    assert lines == []
    assert "epochs" in terminal.getvalue() and "<" in terminal.getvalue()  # tqdm's "elapsed<left"
