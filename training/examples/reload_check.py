"""Load a saved example model the way the service does, in this (fresh) process, and run inputs.

python -m training.examples.reload_check MODEL.h5 INPUTS.npz -> JSON on stdout: the probabilities
for the inputs (named as the model's inputs) and the module.class of every layer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from training.examples import keras_models


def main(argv: list[str]) -> int:
    """Print {"probabilities": [[...]], "layers": [...], "inputs": [...]} for the model and inputs."""
    model_path, inputs_path = Path(argv[0]), Path(argv[1])
    model = keras_models.load(model_path)
    with np.load(inputs_path) as archive:
        inputs = {name: archive[name] for name in archive.files}
    names = [tensor.name for tensor in model.inputs]
    feed = inputs[names[0]] if len(names) == 1 else {name: inputs[name] for name in names}
    probabilities = keras_models.predict(model, feed)
    print(
        json.dumps(
            {
                "probabilities": probabilities.tolist(),
                "layers": keras_models.layer_classes(model),
                "inputs": names,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
