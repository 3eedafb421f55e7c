"""Train both example networks for a moment on made-up data and save them (run in a fresh process).

python -m tests.training.examples.tiny_training OUT_DIR SEED ORDER: prints {"file": sha256, ...};
ORDER is "cnn,mlp" or "mlp,cnn" (make examples trains several models in one process).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from service.checksums import sha256_of
from training.examples import keras_models
from training.examples.keras_models import Augmentation, FitSettings

SETTINGS = FitSettings(epochs=2, batch_size=16, learning_rate=1e-3, patience=2)


def main(out: Path, seed: int, order: list[str]) -> dict[str, str]:
    """Same seed -> same bytes is what the test asserts; the data are fixed, only the seed varies."""
    trainers = {"cnn": _cnn, "mlp": _mlp}
    digests = {}
    for name in order:
        keras_models.make_deterministic(seed)
        model = trainers[name](seed)
        keras_models.save(model, out / f"{name}.h5")
        digests[name] = sha256_of(out / f"{name}.h5")
    return digests


def _cnn(seed: int) -> Any:
    data = np.random.default_rng(0)
    images = data.integers(0, 256, (48, 28, 28, 1)).astype(np.float32)
    digits = data.integers(0, 10, 48)
    cnn = keras_models.digits_cnn((28, 28, 1), 10)
    augmented = keras_models.with_augmentation(cnn, Augmentation(10.0, 0.1, 0.1), seed)
    keras_models.fit(
        augmented,
        (images[:32], digits[:32]),
        (images[32:], digits[32:]),
        SETTINGS,
        log=lambda _: None,
    )
    return cnn


def _mlp(seed: int) -> Any:
    data = np.random.default_rng(1)
    numeric = data.normal(size=(64, 3)).astype(np.float32)
    categorical = data.integers(0, 4, (64, 2)).astype(np.float32)
    labels = data.integers(0, 2, 64)
    mlp = keras_models.tabular_mlp(numeric[:48], [4, 4], 2)
    rows = {"numeric": numeric, "categorical": categorical}
    keras_models.fit(
        mlp,
        ({k: v[:48] for k, v in rows.items()}, labels[:48]),
        ({k: v[48:] for k, v in rows.items()}, labels[48:]),
        SETTINGS,
        log=lambda _: None,
    )
    return mlp


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","))))
