"""The only module that imports TensorFlow: load any Keras .h5 and run it on batches.

It knows no model kind: it reports the model's inputs and outputs (`Signature`) so that the kind
can check them against the manifest, and runs one compiled forward pass over a list of arrays.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from numpy.typing import NDArray

from service.cpus import available_cpus
from service.errors import ModelError


@dataclass(frozen=True)
class Tensor:
    """One input or output of the model: its name, shape without the batch axis, and dtype."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str


@dataclass(frozen=True)
class Signature:
    """The model's inputs and outputs, in the order it takes and returns them."""

    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]


class KerasModel:
    """A loaded Keras model behind one compiled graph for every batch size."""

    def __init__(self, keras_model: Any) -> None:
        import tensorflow as tf

        self.signature = Signature(
            inputs=tuple(_tensor(t) for t in keras_model.inputs),
            outputs=tuple(_tensor(t) for t in keras_model.outputs),
        )
        specs = [
            tf.TensorSpec(shape=(None, *t.shape), dtype=t.dtype) for t in self.signature.inputs
        ]
        self._dtypes = [np.dtype(t.dtype) for t in self.signature.inputs]

        # Calling the model directly avoids predict()'s per-call data-pipeline set-up, which
        # dominates for batches of a few inputs.
        @tf.function(input_signature=specs, reduce_retracing=True)  # type: ignore[untyped-decorator]
        def forward(*arrays: Any) -> Any:
            return keras_model(list(arrays) if len(arrays) > 1 else arrays[0], training=False)

        self._forward = forward

    def predict(self, inputs: Sequence[NDArray[Any]]) -> list[NDArray[np.float64]]:
        """Every output for a batch, each reshaped to (batch, -1)."""
        rows = inputs[0].shape[0]
        arrays = [np.asarray(a, dtype=d) for a, d in zip(inputs, self._dtypes, strict=True)]
        out = self._forward(*arrays)
        parts = out if isinstance(out, list | tuple) else [out]
        return [np.asarray(p, dtype=np.float64).reshape(rows, -1) for p in parts]


def _tensor(t: Any) -> Tensor:
    """A Keras tensor's name, shape (batch axis dropped) and dtype."""
    name = str(getattr(t, "name", "")).split(":")[0]
    return Tensor(name, tuple(t.shape[1:]), str(t.dtype))


def configure_threads(intra_op: int, inter_op: int = 0) -> None:
    """Size TensorFlow's thread pools before the first op: TF_THREADS and TF_INTER_THREADS, 0 = the
    CPUs the task may use.

    TensorFlow's own default counts the cores it can see, which in a container with a CPU quota
    (docker --cpus, ECS on EC2, fractional Fargate sizes) is more threads than the quota can run.
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op or available_cpus())
        tf.config.threading.set_inter_op_parallelism_threads(inter_op or available_cpus())
    except RuntimeError:
        pass  # TensorFlow already ran in this process (tests, several apps): its pools stay


def load_keras(path: Path) -> KerasModel:
    """Load a Keras .h5 without custom objects (a file that needs them is refused)."""
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many types for a corrupt or foreign file.
        raise ModelError(f"cannot load Keras model {path}: {type(exc).__name__}: {exc}") from exc
    return KerasModel(model)
