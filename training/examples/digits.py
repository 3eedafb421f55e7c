"""digits-cnn: MNIST digits -> image-classification model, prepared by the service's own function."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from service.kinds.image.preprocess import ImagePreprocessing, prepare
from training.examples import datasets, keras_models, samples
from training.examples.keras_models import Augmentation, FitSettings
from training.examples.metrics import evaluate
from training.examples.records import VERSION, CardText, Probe, Trained
from training.examples.split import stratified_split, within

NAME = "digits-cnn"
IMAGES = "mnist/digits8k-images-idx3-ubyte.gz"
LABELS = "mnist/digits8k-labels-idx1-ubyte.gz"
INPUT_SHAPE = (28, 28, 1)
PREPROCESSING = ImagePreprocessing(recipe="digit", colour="grey", fit_box=20)
SEED = 20
HELD_OUT_FRACTION = 0.2
VALIDATION_FRACTION = 0.1
FIT = FitSettings(epochs=24, batch_size=64, learning_rate=2e-3, patience=6)
AUGMENTATION = Augmentation(rotation_degrees=10.0, shift_fraction=0.08, zoom_fraction=0.1)

CARD = CardText(
    summary="A small convolutional network that reads one handwritten digit (0-9) from an image.",
    intended_use="A worked example of the image-classification kind: a demonstration page where "
    "someone draws a digit or uploads a photo of one. Not for reading cheques, forms, postcodes "
    "or anything where a misread digit has consequences.",
    data="8,000 images of MNIST's official test set (LeCun, Cortes & Burges), as copied into "
    "../shared/data/examples/mnist (2,000 more are kept back there for an independent check of "
    "the served model). MNIST's 60,000-image training file was not available, so this model was "
    "**trained and tested on disjoint parts of MNIST's official test set; its accuracy is not "
    "comparable with published MNIST results** (which train on the training set and test on all "
    "10,000 test images). The split is random and stratified by digit, not by index: the test set "
    "keeps its original order, the first half from NIST SD-3's cleaner writers and the second "
    "from SD-1's harder ones, so a split by index would test on other writers than it trained on.",
    caveats=[
        "Every image, in training and in serving, goes through the service's own "
        "`service/kinds/image/preprocess.py:prepare` (grey, ink light on dark, the strokes' "
        "bounding box fitted into 20x20, centre of mass at the centre of 28x28), so an upload "
        "is framed as the "
        "training digits were.",
        "One digit per image. Several digits, letters or a digit touching other marks are "
        "framed as one shape and misread.",
        "MNIST is American writers' digits from the late 1980s: sevens with a bar, ones with a "
        "flag and other writing habits are rarer in it and likelier to be misread.",
        "The probabilities are the softmax outputs, not calibrated confidences.",
    ],
    ethics=[
        "The images are of handwriting by US Census Bureau employees and high-school students; "
        "no names or other personal data come with them.",
        "Uploads are not stored or logged by the service.",
    ],
)


@dataclass(frozen=True)
class Digits:
    """MNIST images as prepared model pixels, and their labels."""

    raw: NDArray[np.uint8]  # (n, 28, 28) as in the IDX file
    pixels: NDArray[np.uint8]  # (n, 28, 28, 1) after prepare()
    labels: NDArray[np.int64]


def as_rgb(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A grey image as the RGB image the service decodes."""
    return np.repeat(grey[:, :, None], 3, axis=2)


def prepare_digit(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """One MNIST image through the service's preparation: what the model is trained on."""
    return prepare(as_rgb(grey), PREPROCESSING, INPUT_SHAPE)


def load(root: Path) -> Digits:
    """Read the IDX files and prepare every image."""
    raw = datasets.read_idx(root / IMAGES)
    labels = datasets.read_idx(root / LABELS).astype(np.int64)
    if raw.shape[1:] != INPUT_SHAPE[:2] or len(raw) != len(labels):
        raise ValueError(f"unexpected MNIST shapes {raw.shape} / {labels.shape}")
    pixels = np.stack([prepare_digit(image) for image in raw])
    return Digits(raw=raw, pixels=pixels, labels=labels)


def train(root: Path, *, log: Any = print) -> Trained:
    """Split, fit with augmentation (early stopping on a validation slice), evaluate on held-out."""
    files = [datasets.data_file(root, IMAGES), datasets.data_file(root, LABELS)]
    digits = load(root)
    labels = [str(d) for d in range(10)]
    parts = stratified_split(digits.labels, HELD_OUT_FRACTION, SEED)
    fit_part = within(parts.kept, digits.labels, VALIDATION_FRACTION, SEED + 1)
    x = digits.pixels.astype(np.float32)
    keras_models.make_deterministic(SEED)
    model = keras_models.digits_cnn(INPUT_SHAPE, len(labels))
    augmented = keras_models.with_augmentation(model, AUGMENTATION, SEED)
    started, cpu_started = time.perf_counter(), time.process_time()
    log(f"{NAME}: {len(fit_part.kept)} training, {len(fit_part.held_out)} validation images")
    history = keras_models.fit(
        augmented,
        (x[fit_part.kept], digits.labels[fit_part.kept]),
        (x[fit_part.held_out], digits.labels[fit_part.held_out]),
        FIT,
        log=log,
    )
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    validation = history[keras_models.best_epoch(history) - 1]["val_accuracy"]
    held = parts.held_out
    probabilities = keras_models.predict(model, x[held])
    evaluation = evaluate(digits.labels[held], probabilities.argmax(axis=1), labels)
    log(f"{NAME}: held-out accuracy {evaluation.accuracy:.4f} on {evaluation.rows} images")
    chosen = samples.digit_samples(
        digits.raw[held], digits.labels[held], held, lambda image: _label_of(model, image)
    )
    manifest = {
        "kind": "image-classification",
        "name": NAME,
        "version": VERSION,
        "input_shape": list(INPUT_SHAPE),
        "labels": labels,
        "preprocessing": PREPROCESSING.model_dump(),
        "training": {
            "data": [{"file": f.relative, "sha256": f.sha256} for f in files],
            "split": {
                "method": "random, stratified by label",
                "held_out_fraction": HELD_OUT_FRACTION,
                "validation_fraction_of_rest": VALIDATION_FRACTION,
                "seed": SEED,
                "rows": {
                    "training": len(fit_part.kept),
                    "validation": len(fit_part.held_out),
                    "held_out": len(held),
                },
            },
            "seed": SEED,
            "epochs": {
                "maximum": FIT.epochs,
                "trained": len(history),
                "kept": keras_models.best_epoch(history),
            },
            "fit": asdict(FIT),
            "augmentation": asdict(AUGMENTATION),
        },
        "metrics": {**evaluation.as_manifest(), "validation_accuracy": round(validation, 6)},
    }
    return Trained(
        name=NAME,
        model=model,
        manifest=manifest,
        evaluation=evaluation,
        validation_accuracy=validation,
        epochs_trained=len(history),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        card=CARD,
        probe=Probe(inputs={"image": x[held[:16]]}, probabilities=probabilities[:16]),
        samples=chosen.files,
        details=[chosen.describe()],
    )


def _label_of(model: Any, image: NDArray[np.uint8]) -> int:
    """The model's digit for an RGB image, prepared as the service prepares it."""
    pixels = prepare(image, PREPROCESSING, INPUT_SHAPE).astype(np.float32)[None]
    return int(keras_models.predict(model, pixels).argmax(axis=1)[0])
