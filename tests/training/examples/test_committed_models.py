"""The committed example models: manifests valid and true to their files, cards free of machine
paths, and each .h5 loading in a fresh process (as the service loads it) to read the samples."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from service.checksums import sha256_of
from service.kinds.image.preprocess import ImagePreprocessing, prepare
from service.kinds.tabular.features import encode_rows, example_row, parse_features
from tests.kinds.image.renderings import canvas_drawing, photo_on_paper
from tests.training.examples.conftest import EXAMPLE_MODELS, MODELS_DIR, SAMPLES_DIR
from training.examples import datasets, digits
from training.examples.publish import fresh_process_outputs
from training.examples.split import stratified_split, within
from training.examples.tables import BANKNOTE, CENSUS

VERSION = "1.0.0"
TARGETS = {"digits-cnn": 0.985, "census-income": 0.85, "banknote-authentication": 0.99}
TABLES = {CENSUS.name: CENSUS, BANKNOTE.name: BANKNOTE}
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home|tmp|root|usr|opt|Users|mnt|var)/")


def manifest_of(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((MODELS_DIR / f"{name}-{VERSION}.json").read_text())
    return data


def sample_sources(name: str) -> list[int]:
    """Data-set row indices of the committed samples, which were drawn from the held-out part."""
    if name == "digits-cnn":
        card = (MODELS_DIR / f"digits-cnn-{VERSION}.md").read_text()
        return [int(i) for i in re.findall(r"^\| `digit-[^`]+` \| (\d+) \|$", card, re.M)]
    rows = json.loads((SAMPLES_DIR / f"{name}-rows.json").read_text())["rows"]
    return [row["line"] - 2 for row in rows]  # line 1 is the header


def digit_inputs(files: list[Path], spec: ImagePreprocessing, shape: Any) -> np.ndarray:
    images = [np.asarray(Image.open(io.BytesIO(f.read_bytes())).convert("RGB")) for f in files]
    return np.stack([prepare(image, spec, tuple(shape)) for image in images]).astype(np.float32)


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
def test_the_manifest_names_its_model_file_by_digest_and_size(name: str) -> None:
    """The service verifies the download against these; a retrained file needs a new version."""
    manifest = manifest_of(name)
    model = MODELS_DIR / f"{name}-{VERSION}.h5"
    assert (manifest["name"], manifest["version"]) == (name, VERSION)
    assert manifest["sha256"] == sha256_of(model)
    assert manifest["model_bytes"] == model.stat().st_size


def test_the_digits_manifest_declares_its_preprocessing_and_labels() -> None:
    """The image kind reads input shape, labels and the preprocessing block from the manifest."""
    manifest = manifest_of("digits-cnn")
    assert manifest["kind"] == "image-classification"
    spec = ImagePreprocessing.model_validate(manifest["preprocessing"])
    assert spec == digits.PREPROCESSING and manifest["input_shape"] == [28, 28, 1]
    assert manifest["labels"] == [str(d) for d in range(10)]


@pytest.mark.parametrize("name", TABLES)
def test_the_tabular_manifests_features_validate_and_their_examples_encode(name: str) -> None:
    """The features parse by the serving schema; the example row is one the model accepts."""
    manifest = manifest_of(name)
    assert manifest["kind"] == "tabular-classification"
    features = parse_features(manifest["features"])
    spec = TABLES[name]
    assert [f.name for f in features] == [*spec.numeric, *spec.categorical]
    encoded = encode_rows([example_row(features)], features)
    assert encoded["numeric"].shape == (1, len(spec.numeric))
    assert ("categorical" in encoded) == bool(spec.categorical)


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
def test_the_held_out_accuracy_meets_the_target(name: str) -> None:
    """The published figure (from the training run) is at least the issue's target."""
    metrics = manifest_of(name)["metrics"]
    assert metrics["held_out_accuracy"] >= TARGETS[name]
    assert metrics["held_out_rows"] == sum(c["support"] for c in metrics["per_class"])


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
def test_manifest_and_card_name_no_machine_paths_and_agree(name: str) -> None:
    """Paths are relative to the repository or the data folder; the card's figures are the run's."""
    manifest_text = (MODELS_DIR / f"{name}-{VERSION}.json").read_text()
    card = (MODELS_DIR / f"{name}-{VERSION}.md").read_text()
    for text in (manifest_text, card):
        assert not MACHINE_PATH.search(text)
    manifest = json.loads(manifest_text)
    assert f"{100 * manifest['metrics']['held_out_accuracy']:.2f} %" in card
    assert manifest["sha256"] in card
    assert re.search(r"on commit \*\*[0-9a-f]{7,}( \(uncommitted changes\))?\*\*", card)


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
def test_the_recorded_split_is_the_stratified_split_of_the_data(
    name: str, examples_dir: Path
) -> None:
    """The manifest's seed and fractions give back its row counts and the held-out rows the samples
    came from: held-out rows were never trained on."""
    manifest = manifest_of(name)
    training = manifest["training"]
    for entry in training["data"]:
        assert datasets.data_file(examples_dir, entry["file"]).sha256 == entry["sha256"]
    if name == "digits-cnn":
        labels = datasets.read_idx(examples_dir / digits.LABELS).astype(np.int64)
    else:
        spec = TABLES[name]
        table = datasets.read_table(examples_dir / spec.data)
        values = list(spec.labels)
        labels = np.array([values.index(r[spec.label_column]) for r in table.rows], np.int64)
    split = training["split"]
    parts = stratified_split(labels, split["held_out_fraction"], split["seed"])
    inner = within(parts.kept, labels, split["validation_fraction_of_rest"], split["seed"] + 1)
    assert split["rows"] == {
        "training": len(inner.kept),
        "validation": len(inner.held_out),
        "held_out": len(parts.held_out),
    }
    assert not set(parts.held_out) & (set(inner.kept) | set(inner.held_out))
    assert set(sample_sources(name)) <= set(parts.held_out.tolist())
    expected = np.bincount(labels) * split["held_out_fraction"]
    assert np.abs(np.bincount(labels[parts.held_out]) - expected).max() <= 0.5


def test_the_trainer_feeds_the_model_what_serving_prepares(examples_dir: Path) -> None:
    """Training pixels are prepare() of each MNIST image, the function the service calls."""
    loaded = digits.load(examples_dir)
    for index in (0, 1234, 7999):
        image = np.repeat(loaded.raw[index][:, :, None], 3, axis=2)
        assert np.array_equal(
            loaded.pixels[index], prepare(image, digits.PREPROCESSING, digits.INPUT_SHAPE)
        )


@pytest.mark.slow
def test_the_digits_model_reads_the_committed_sample_images_in_a_fresh_process() -> None:
    """MNIST, canvas and paper-photo samples go through prepare() and come out as their digit."""
    manifest = manifest_of("digits-cnn")
    files = sorted(SAMPLES_DIR.glob("digit-*"))
    assert {f.name.split("-")[1] for f in files} == {"mnist", "canvas", "paper"}
    spec = ImagePreprocessing.model_validate(manifest["preprocessing"])
    inputs = {"image": digit_inputs(files, spec, manifest["input_shape"])}
    result = fresh_process_outputs(MODELS_DIR / f"digits-cnn-{VERSION}.h5", inputs)
    assert all(layer.startswith("keras.src.") for layer in result["layers"])
    assert not any(layer.endswith("Lambda") for layer in result["layers"])
    predicted = [manifest["labels"][i] for i in np.argmax(result["probabilities"], axis=1)]
    assert predicted == [f.stem.split("-")[2] for f in files]


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLES)
def test_a_tabular_model_reads_the_committed_sample_rows_in_a_fresh_process(name: str) -> None:
    """Sample rows (one per label) encoded by encode_rows get their true label."""
    manifest = manifest_of(name)
    samples = json.loads((SAMPLES_DIR / f"{name}-rows.json").read_text())
    features = parse_features(manifest["features"])
    assert samples["rows"][0]["row"] == example_row(features)
    inputs = encode_rows([sample["row"] for sample in samples["rows"]], features)
    result = fresh_process_outputs(MODELS_DIR / f"{name}-{VERSION}.h5", dict(inputs))
    assert result["inputs"] == list(inputs)
    predicted = [manifest["labels"][i] for i in np.argmax(result["probabilities"], axis=1)]
    assert predicted == [sample["label"] for sample in samples["rows"]]


@pytest.mark.slow
def test_held_out_digits_photographed_or_drawn_are_read_as_well_as_the_originals(
    examples_dir: Path,
) -> None:
    """Train/serve consistency end to end: the first 100 held-out digits, as paper photos and as
    canvas drawings, are read (nearly) as often correctly as MNIST's own images."""
    manifest = manifest_of("digits-cnn")
    split = manifest["training"]["split"]
    raw = datasets.read_idx(examples_dir / digits.IMAGES)
    labels = datasets.read_idx(examples_dir / digits.LABELS).astype(np.int64)
    held = stratified_split(labels, split["held_out_fraction"], split["seed"]).held_out[:100]
    spec = ImagePreprocessing.model_validate(manifest["preprocessing"])
    shape = tuple(manifest["input_shape"])
    rgb = [np.repeat(raw[i][:, :, None], 3, axis=2) for i in held]
    renderings = {
        "mnist": rgb,
        "paper": [photo_on_paper(raw[i], int(i)) for i in held],
        "canvas": [canvas_drawing(raw[i]) for i in held],
    }
    inputs = {
        name: np.stack([prepare(image, spec, shape) for image in images]).astype(np.float32)
        for name, images in renderings.items()
    }
    stacked = {"image": np.concatenate(list(inputs.values()))}
    result = fresh_process_outputs(MODELS_DIR / f"digits-cnn-{VERSION}.h5", stacked)
    predicted = np.argmax(result["probabilities"], axis=1).reshape(3, len(held))
    accuracy = (predicted == labels[held]).mean(axis=1)
    assert accuracy[0] >= 0.97
    assert accuracy[1] >= accuracy[0] - 0.04 and accuracy[2] >= accuracy[0] - 0.04
