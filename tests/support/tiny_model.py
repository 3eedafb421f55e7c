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
    anchor = keras.Input(shape=input_shape, name="anchor")
    img1 = keras.Input(shape=input_shape, name="img1")
    img2 = keras.Input(shape=input_shape, name="img2")
    ea, e1, e2 = embed(anchor), embed(img1), embed(img2)
    d1 = layers.Rescaling(-1.0, offset=1.0, name="d_img1")(
        layers.Dot(axes=1, normalize=True)([ea, e1])
    )
    d2 = layers.Rescaling(-1.0, offset=1.0, name="d_img2")(
        layers.Dot(axes=1, normalize=True)([ea, e2])
    )
    return keras.Model([anchor, img1, img2], [d1, d2], name="tiny_siamese")


def tiny_recipe(side: int) -> dict[str, Any]:
    """The bundled model's dlib recipe cutting side x side chips, without the slow CNN pass."""
    bundled = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    return {**bundled["crop"], "chip_size": side, "cnn_detector": None}


def write_model(
    directory: Path,
    *,
    name: str = "tiny",
    version: str = "0.0.1",
    threshold: float = 0.5,
    input_shape: tuple[int, int, int] = (32, 32, 3),
    manifest_overrides: dict[str, Any] | None = None,
) -> Path:
    """Save the tiny model as <name>-<version>.h5 with a correct manifest beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{version}.h5"
    build_tiny_siamese(input_shape).save(path)
    manifest: dict[str, Any] = {
        "name": name,
        "version": version,
        "sha256": sha256_of(path),
        "input_shape": list(input_shape),
        "crop": tiny_recipe(input_shape[0]),
        "threshold": threshold,
        "distance": "cosine",
    }
    manifest.update(manifest_overrides or {})
    path.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
    return path


def _save_with_manifest(model: Any, path: Path, manifest: dict[str, Any]) -> Path:
    """Save a Keras model as .h5 and its manifest (sha256 filled in) beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    manifest = {**manifest, "sha256": sha256_of(path)}
    path.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
    return path


DIGIT_LABELS = [str(d) for d in range(10)]


def write_image_model(directory: Path, *, manifest_overrides: dict[str, Any] | None = None) -> Path:
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
        "labels": DIGIT_LABELS,
        "preprocessing": {"recipe": "digit", "colour": "grey", "fit_box": 20},
        **(manifest_overrides or {}),
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


def write_tabular_model(
    directory: Path, *, manifest_overrides: dict[str, Any] | None = None
) -> Path:
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
        **(manifest_overrides or {}),
    }
    model = keras.Model([numeric, categorical], out)
    return _save_with_manifest(model, directory / "tiny-table-0.0.1.h5", manifest)
