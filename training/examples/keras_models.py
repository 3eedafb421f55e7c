"""The networks, their training and their files: the only example-training module importing TensorFlow."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from numpy.typing import NDArray
from tqdm.keras import TqdmCallback

Inputs = NDArray[np.float32] | Mapping[str, NDArray[np.float32]]


@dataclass(frozen=True)
class FitSettings:
    """How long and how a model trains; recorded in the manifest's training block."""

    epochs: int
    batch_size: int
    learning_rate: float
    patience: int


@dataclass(frozen=True)
class Augmentation:
    """Random shifts, rotations and scaling of digits, applied in training only (not saved)."""

    rotation_degrees: float
    shift_fraction: float
    zoom_fraction: float


def make_deterministic(seed: int) -> None:
    """Same data and seed -> same weights -> same .h5 bytes: seeded, deterministic ops, one thread."""
    os.environ["PYTHONHASHSEED"] = str(seed)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def digits_cnn(input_shape: tuple[int, int, int], classes: int) -> keras.Model:
    """Raw 0..255 grey digit -> class probabilities; a small VGG-style CNN of standard layers."""
    inputs = keras.Input(input_shape, name="image")
    x = layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    for stage, filters in enumerate((32, 64)):
        for conv in range(2):
            x = layers.Conv2D(
                filters, 3, padding="same", use_bias=False, name=f"conv{stage}_{conv}"
            )(x)
            x = layers.BatchNormalization(momentum=0.9, name=f"bn{stage}_{conv}")(x)
            x = layers.ReLU(name=f"relu{stage}_{conv}")(x)
        x = layers.MaxPooling2D(name=f"pool{stage}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    x = layers.Dense(128, activation="relu", name="dense")(x)
    x = layers.Dropout(0.4, name="dropout_head")(x)
    outputs = layers.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digits_cnn")


def with_augmentation(model: keras.Model, augmentation: Augmentation, seed: int) -> keras.Model:
    """The model behind random affine changes: trains the same weights; only `model` is saved."""
    inputs = keras.Input(model.inputs[0].shape[1:], name="image")
    x = layers.RandomRotation(
        augmentation.rotation_degrees / 360.0, fill_mode="constant", seed=seed
    )(inputs)
    x = layers.RandomTranslation(
        augmentation.shift_fraction,
        augmentation.shift_fraction,
        fill_mode="constant",
        seed=seed + 1,
    )(x)
    x = layers.RandomZoom(
        (-augmentation.zoom_fraction, augmentation.zoom_fraction),
        fill_mode="constant",
        seed=seed + 2,
    )(x)
    return keras.Model(inputs, model(x), name=f"{model.name}_augmented")


def tabular_mlp(
    numeric: NDArray[np.float32], vocabulary_sizes: Sequence[int], classes: int
) -> keras.Model:
    """Raw numbers + category indices -> probabilities; normalisation and embeddings inside.

    One Embedding serves every categorical column: a frozen Dense (identity kernel, bias = each
    column's offset) moves column j's indices into its own block of rows, so no Lambda or slicing.
    """
    numeric_in = keras.Input((numeric.shape[1],), name="numeric")
    normalise = layers.Normalization(name="normalise")
    normalise.adapt(numeric)
    parts = [normalise(numeric_in)]
    inputs = [numeric_in]
    if vocabulary_sizes:
        columns = len(vocabulary_sizes)
        categorical_in = keras.Input((columns,), name="categorical")
        offsets = np.concatenate([[0], np.cumsum(vocabulary_sizes)[:-1]]).astype(np.float32)
        shift = layers.Dense(columns, trainable=False, name="category_offsets")
        rows = shift(categorical_in)
        shift.set_weights([np.eye(columns, dtype=np.float32), offsets])
        embedded = layers.Embedding(int(sum(vocabulary_sizes)), 8, name="embedding")(rows)
        parts.append(layers.Flatten(name="embedding_flat")(embedded))
        inputs.append(categorical_in)
    x = layers.Concatenate(name="features")(parts) if len(parts) > 1 else parts[0]
    x = layers.Dense(64, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    x = layers.Dense(32, activation="relu", name="hidden2")(x)
    outputs = layers.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="tabular_mlp")


def fit(
    model: keras.Model,
    train: tuple[Inputs, NDArray[np.int64]],
    validation: tuple[Inputs, NDArray[np.int64]],
    settings: FitSettings,
    *,
    log: Any = print,
) -> list[dict[str, float]]:
    """Adam on cross-entropy; stop when validation loss stalls and keep the best epoch's weights.

    Loss, not accuracy: a small validation slice reaches 100 % accuracy long before the model is done.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=settings.patience, restore_best_weights=True
    )
    slow_down = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=max(1, settings.patience // 3), min_lr=1e-5
    )
    history = model.fit(
        train[0],
        train[1],
        validation_data=validation,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        shuffle=True,
        callbacks=[stop, slow_down, progress(settings, log)],
        verbose=0,
    )
    return [
        {key: round(float(values[i]), 6) for key, values in history.history.items()}
        for i in range(len(history.history["loss"]))
    ]


def progress(settings: FitSettings, log: Any) -> keras.callbacks.Callback:
    """On a terminal a bar with the time left (to the epoch limit); elsewhere (CI logs) a line per epoch."""
    if sys.stderr.isatty():
        return TqdmCallback(
            epochs=settings.epochs, verbose=0, desc="epochs (early stopping may end sooner)"
        )

    def line(epoch: int, logs: Mapping[str, float] | None) -> None:
        log(
            f"  epoch {epoch + 1}: "
            + ", ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items())
        )

    return keras.callbacks.LambdaCallback(on_epoch_end=line)


def best_epoch(history: list[dict[str, float]]) -> int:
    """1-based epoch whose weights early stopping kept (lowest validation loss, first wins)."""
    losses = [epoch["val_loss"] for epoch in history]
    return losses.index(min(losses)) + 1


def predict(model: keras.Model, inputs: Inputs) -> NDArray[np.float32]:
    """Class probabilities, in batches."""
    return np.asarray(model.predict(inputs, batch_size=256, verbose=0), np.float32)


def save(model: keras.Model, path: Path) -> None:
    """Legacy HDF5, what the service loads with load_model(compile=False); weights only, no
    optimizer state (unused in serving, and named by how many optimizers the process made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path, include_optimizer=False)


def load(path: Path) -> keras.Model:
    """Load exactly as the service does: no custom objects, not compiled."""
    return keras.models.load_model(path, compile=False)


def layer_classes(model: keras.Model) -> list[str]:
    """Class names of every layer, nested models included (to prove only standard layers)."""
    names: list[str] = []
    for layer in model.layers:
        names.append(type(layer).__module__ + "." + type(layer).__name__)
        if isinstance(layer, keras.Model):
            names.extend(layer_classes(layer))
    return names
