"""The only module that imports TensorFlow: load a siamese .h5, check its contract, run it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from numpy.typing import NDArray

from service.cpus import available_cpus
from service.errors import ModelError

Batch = NDArray[np.float32]


class SiameseModel:
    """A loaded three-input siamese model returning (batch, 2) distances: anchor-img1, anchor-img2."""

    def __init__(self, keras_model: Any, input_shape: tuple[int, int, int]) -> None:
        import tensorflow as tf

        self._model = keras_model
        self.input_shape = input_shape
        spec = tf.TensorSpec(shape=(None, *input_shape), dtype=tf.float32)

        # One compiled graph for every batch size: calling the model directly avoids predict()'s
        # per-call data-pipeline set-up, which dominates for batches of a few images.
        @tf.function(input_signature=[spec, spec, spec], reduce_retracing=True)  # type: ignore[untyped-decorator]
        def forward(a: Any, b: Any, c: Any) -> Any:
            return keras_model([a, b, c], training=False)

        self._forward = forward

    @property
    def height(self) -> int:
        """Input height in pixels."""
        return self.input_shape[0]

    @property
    def width(self) -> int:
        """Input width in pixels."""
        return self.input_shape[1]

    @property
    def channels(self) -> int:
        """1 (greyscale) or 3 (RGB)."""
        return self.input_shape[2]

    def distances(self, anchor: Batch, img1: Batch, img2: Batch) -> NDArray[np.float64]:
        """Distances for a batch of triplets, shape (batch, 2)."""
        out = self._forward(anchor, img1, img2)
        parts = out if isinstance(out, list | tuple) else [out]
        arrays = [np.asarray(p, dtype=np.float64).reshape(anchor.shape[0], -1) for p in parts]
        result = np.concatenate(arrays, axis=1)
        if result.shape != (anchor.shape[0], 2):
            raise ModelError(f"model returned shape {result.shape}, expected (batch, 2)")
        return result

    def warm_up(self) -> None:
        """Run one forward pass so the first request does not pay for graph tracing."""
        zeros = np.zeros((1, *self.input_shape), dtype=np.float32)
        result = self.distances(zeros, zeros, zeros)
        if not np.all(np.isfinite(result)):
            raise ModelError("warm-up inference returned non-finite distances")


def configure_threads(intra_op: int) -> None:
    """Size TensorFlow's thread pools before the first op: TF_THREADS, or the CPUs the task may use.

    TensorFlow's own default counts the cores it can see, which in a container with a CPU quota
    (docker --cpus, ECS on EC2, fractional Fargate sizes) is more threads than the quota can run.
    """
    import tensorflow as tf

    intra, inter = (intra_op, 1) if intra_op > 0 else (available_cpus(),) * 2
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        pass  # TensorFlow already ran in this process (tests, several apps): its pools stay


def load_siamese(path: Path) -> SiameseModel:
    """Load a Keras .h5 without custom objects and verify it follows the three-input contract."""
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many types for a corrupt or foreign file.
        raise ModelError(f"cannot load Keras model {path}: {type(exc).__name__}: {exc}") from exc
    shapes = [tuple(t.shape) for t in model.inputs]
    if len(shapes) != 3:
        raise ModelError(f"model has {len(shapes)} inputs; the contract is 3 (anchor, img1, img2)")
    if len(set(shapes)) != 1:
        raise ModelError(f"model inputs differ in shape: {shapes}")
    dims = shapes[0][1:]
    if len(dims) != 3 or any(d is None for d in dims) or dims[2] not in (1, 3):
        raise ModelError(f"model input shape {shapes[0]} is not (batch, H, W, 1 or 3)")
    height, width, channels = (int(d) for d in dims)
    out_dims = [int(np.prod([d for d in t.shape[1:] if d is not None])) for t in model.outputs]
    if out_dims not in ([1, 1], [2]):
        raise ModelError(
            f"model outputs {[tuple(t.shape) for t in model.outputs]}; "
            "the contract is two (batch, 1) distances or one (batch, 2)"
        )
    return SiameseModel(model, (height, width, channels))
