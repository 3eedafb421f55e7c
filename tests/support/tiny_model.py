"""A tiny but real Keras siamese model that follows the service's contract, for fast API tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.checksums import sha256_of
from service.config import DEFAULT_MODEL


def build_tiny_siamese(input_shape: tuple[int, int, int] = (32, 32, 3), seed: int = 7) -> Any:
    """Three inputs -> two cosine distances, built only from standard layers (no custom objects)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    image = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(image)
    x = layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    x = layers.Conv2D(16, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(16)(x)
    embed = keras.Model(image, x, name="embedding")
    anchor, *images = (keras.Input(shape=input_shape, name=n) for n in ("anchor", "img1", "img2"))
    distances = [
        # cosine distance: 1 - cosine similarity of the two embeddings
        layers.Rescaling(-1.0, offset=1.0, name=f"d_{img.name}")(
            layers.Dot(axes=1, normalize=True)([embed(anchor), embed(img)])
        )
        for img in images
    ]
    return keras.Model([anchor, *images], distances, name="tiny_siamese")


def write_model(
    directory: Path,
    *,
    input_shape: tuple[int, int, int] = (32, 32, 3),
    manifest_overrides: dict[str, Any] | None = None,
) -> Path:
    """Save the tiny model as tiny-0.0.1.h5 with a correct manifest beside it."""
    bundled = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    manifest: dict[str, Any] = {
        "name": "tiny",
        "version": "0.0.1",
        "input_shape": list(input_shape),
        # The bundled model's dlib recipe cutting side x side chips, without the slow CNN pass.
        "crop": {**bundled["crop"], "chip_size": input_shape[0], "cnn_detector": None},
        "threshold": 0.5,
        "distance": "cosine",
        **(manifest_overrides or {}),
    }
    return _save_with_manifest(
        build_tiny_siamese(input_shape), directory / "tiny-0.0.1.h5", manifest
    )


def _save_with_manifest(model: Any, path: Path, manifest: dict[str, Any]) -> Path:
    """Save a Keras model as .h5 and its manifest (sha256 filled in) beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    manifest = {"sha256": sha256_of(path), **manifest}  # an override may set a wrong one
    path.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
    return path


def write_image_model(directory: Path) -> Path:
    """A tiny untrained 28x28x1 ten-label classifier with the digits' preprocessing recipe."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(3)
    image = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Rescaling(1.0 / 255)(image)
    x = layers.Conv2D(4, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(10, activation="softmax")(x)
    manifest = {
        "kind": "image-classification",
        "name": "tiny-digits",
        "version": "0.0.1",
        "input_shape": [28, 28, 1],
        "labels": [str(digit) for digit in range(10)],
        "preprocessing": {"recipe": "digit", "colour": "grey", "fit_box": 20},
    }
    return _save_with_manifest(
        keras.Model(image, out), directory / "tiny-digits-0.0.1.h5", manifest
    )


TABULAR_FEATURES: list[dict[str, Any]] = [
    {"name": "age", "type": "numeric", "minimum": 17, "maximum": 90, "example": 39},
    {"name": "hours", "type": "numeric", "minimum": 1, "maximum": 99, "example": 40},
    {
        "name": "workclass",
        "type": "categorical",
        "categories": ["Private", "State-gov", "?"],
        "example": "State-gov",
    },
]


def write_tabular_model(directory: Path) -> Path:
    """A tiny untrained two-label classifier of two numbers and one category, as the contract says."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(5)
    numeric = keras.Input(shape=(2,), name="numeric")
    categorical = keras.Input(shape=(1,), name="categorical")
    x = layers.Concatenate()(
        [layers.Rescaling(1 / 50)(numeric), layers.CategoryEncoding(3, "one_hot")(categorical)]
    )
    out = layers.Dense(2, activation="softmax")(layers.Dense(4, activation="relu")(x))
    manifest = {
        "kind": "tabular-classification",
        "name": "tiny-table",
        "version": "0.0.1",
        "labels": ["no", "yes"],
        "features": TABULAR_FEATURES,
    }
    model = keras.Model([numeric, categorical], out)
    return _save_with_manifest(model, directory / "tiny-table-0.0.1.h5", manifest)
