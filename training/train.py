"""Fit the embedding as an identity classifier with a CosFace margin, on cached crops, deterministically."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from service.haar_crop import HaarRecipe

from training import whitening
from training.crops import CropSet

# The crop the model is trained and served with: a square 1.1x the detector's box, centred on it.
DEFAULT_RECIPE = HaarRecipe(box_scale=1.1, y_offset=0.0, center_fraction=0.5)


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of one training run; stored in the manifest and the evaluation results."""

    size: int = 80
    channels: int = 3
    epochs: int = 30
    # People with a single photo still teach the model what "a different person" looks like.
    min_images: int = 2
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 5e-4
    cosface_scale: float = 30.0
    cosface_margin: float = 0.25
    embedding_dim: int = 128
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: tuple[int, ...] = (1, 1, 1, 1)
    dropout: float = 0.2
    augment: bool = True
    flip_tta: bool = True
    # WCCN on the training people's embeddings, shrunk halfway to a sphere; None switches it off.
    whitening_shrink: float | None = 0.5
    seed: int = 1234
    threads: int = 2
    recipe: dict[str, object] = field(default_factory=DEFAULT_RECIPE.model_dump)

    def crop_recipe(self) -> HaarRecipe:
        """The recipe as the service's type."""
        return HaarRecipe(**self.recipe)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return json.loads(json.dumps(asdict(self)))  # type: ignore[no-any-return]


def to_channels(pixels: NDArray[np.uint8], channels: int) -> NDArray[np.uint8]:
    """RGB crops as the model's channels, with the same cv2 conversion the service's cut() applies."""
    if channels == pixels.shape[-1]:
        return pixels
    if channels == 1 and pixels.shape[-1] == 3:
        grey = np.stack([cv2.cvtColor(p, cv2.COLOR_RGB2GRAY) for p in pixels])
        return grey[..., None]
    raise ValueError(f"cannot turn {pixels.shape[-1]} channels into {channels}")


def identity_labels(keys: list[str]) -> tuple[NDArray[np.int32], list[str]]:
    """Class index per image from its person folder, and the class names."""
    names = sorted({k.split("/", 1)[0] for k in keys})
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[k.split("/", 1)[0]] for k in keys], dtype=np.int32), names


@dataclass(frozen=True)
class Trained:
    """What one training produces: the embedding net, its whitening and per-epoch stats."""

    embedding: Any
    whitening: whitening.Whitening | None
    history: list[dict[str, float]]
    flip_tta: bool

    def embed(self, pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
        """Unit vectors exactly as the saved siamese model compares them."""
        from training import network

        return network.embed_images(
            self.embedding, pixels, flip_tta=self.flip_tta, whitening=self.whitening
        )

    def siamese(self) -> Any:
        """The served three-input model, with the same flip TTA and whitening as embed()."""
        from training import network

        return network.build_siamese(
            self.embedding, flip_tta=self.flip_tta, whitening=self.whitening
        )


def fit_embedding(
    crops: CropSet, config: TrainConfig, log: Callable[[str], None] = print
) -> Trained:
    """Train the embedding on these crops (one class per person), then fit its whitening on them."""
    import keras
    import tensorflow as tf

    from training import network

    network.configure_threads(config.threads)
    keras.utils.set_random_seed(config.seed)
    labels, names = identity_labels(crops.keys)
    pixels = to_channels(crops.pixels, config.channels)
    net = network.NetConfig(
        (config.size, config.size, config.channels),
        config.widths,
        config.blocks,
        config.embedding_dim,
        config.dropout,
    )
    embedding = network.build_embedding(net)
    trainer = network.build_trainer(embedding, len(names), augment=config.augment)
    batch_size = min(config.batch_size, len(labels))
    steps = len(labels) // batch_size
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * 0.1,
        decay_steps=max(1, steps * (config.epochs - 1)),
        alpha=0.01,
        warmup_target=config.learning_rate,
        warmup_steps=steps,
    )
    trainer.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
        loss=network.cosface_loss(config.cosface_scale, config.cosface_margin),
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices((pixels, labels))
        .shuffle(len(labels), seed=config.seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
        .map(lambda x, y: (tf.cast(x, tf.float32), y))
        .prefetch(2)
    )
    log(f"training on {len(labels)} images of {len(names)} people, {steps} steps/epoch")
    history: list[dict[str, float]] = []
    for epoch in range(config.epochs):
        start = time.perf_counter()
        result = trainer.fit(dataset, epochs=epoch + 1, initial_epoch=epoch, verbose=0)
        loss = float(result.history["loss"][-1])
        seconds = time.perf_counter() - start
        history.append({"epoch": epoch + 1, "loss": loss, "seconds": seconds})
        log(f"epoch {epoch + 1}/{config.epochs} loss {loss:.4f} ({seconds:.0f} s)")
    fitted = None
    if config.whitening_shrink is not None:
        vectors = network.embed_images(embedding, pixels, flip_tta=config.flip_tta)
        fitted = whitening.fit(vectors, labels, config.whitening_shrink)
        log(
            f"whitening fitted on {len(vectors)} training embeddings (shrink {config.whitening_shrink})"
        )
    return Trained(embedding, fitted, history, config.flip_tta)
