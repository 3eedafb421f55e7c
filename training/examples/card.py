"""The model card (markdown), written by the training run: every figure in it comes from the run."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from typing import Any

from training.examples.metrics import SliceFigures
from training.examples.records import Trained


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def _per_class(trained: Trained) -> str:
    lines = [
        "| label | held-out examples | precision | recall |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| `{c.label}` | {c.support} | {_pct(c.precision)} | {_pct(c.recall)} |"
        for c in trained.evaluation.per_class
    ]
    return "\n".join(lines)


def _confusion(trained: Trained) -> str:
    labels = trained.evaluation.labels
    lines = [
        "| true \\ predicted | " + " | ".join(f"`{label}`" for label in labels) + " |",
        "| --- | " + " | ".join("---:" for _ in labels) + " |",
    ]
    lines += [
        f"| `{label}` | " + " | ".join(str(n) for n in row) + " |"
        for label, row in zip(labels, trained.evaluation.confusion, strict=True)
    ]
    return "\n".join(lines)


def _inputs(manifest: dict[str, Any]) -> str:
    if manifest["kind"] == "image-classification":
        shape = "x".join(str(n) for n in manifest["input_shape"])
        return (
            f"one image, prepared to {shape} grey pixels (0..255, rescaled inside the model) by "
            f"the `{manifest['preprocessing']['recipe']}` recipe of "
            "`service/kinds/image/preprocess.py`"
        )
    lines = ["rows of these features (bounds and categories from the training part):"]
    for feature in manifest["features"]:
        if feature["type"] == "numeric":
            what = f"number, {feature['minimum']:g} to {feature['maximum']:g}"
        else:
            what = f"one of {len(feature['categories'])} categories"
        lines.append(f"  - `{feature['name']}` ({what}): {feature['description']}")
    return "\n".join(lines)


def slice_table(figures: Sequence[SliceFigures], positive: str) -> str:
    """The card's performance-by-slice table."""
    lines = [
        "## Performance on slices (held-out rows)",
        "",
        f"For every value of every categorical feature: rows, accuracy, and precision and recall "
        f"of `{positive}`. n/a: no row of the slice was predicted (precision) or is (recall) "
        f"`{positive}`.",
        "",
        "| feature | value | rows | accuracy | precision | recall |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {f.feature} | `{f.value}` | {f.count} | {_pct(f.accuracy)} | {_pct(f.precision)} | "
        f"{_pct(f.recall)} |"
        for f in figures
    ]
    return "\n".join(lines)


def render(trained: Trained, manifest: dict[str, Any], *, commit: str) -> str:
    """The card for a trained example model and its final manifest."""
    training = manifest["training"]
    split = training["split"]
    epochs = training["epochs"]
    fit = training["fit"]
    evaluation = trained.evaluation
    name, version = manifest["name"], manifest["version"]
    files = ", ".join(f"`{d['file']}` (sha256 `{d['sha256'][:16]}…`)" for d in training["data"])
    augmentation = training.get("augmentation")
    parts = [
        f"# Model card: {name} {version}",
        "",
        trained.card.summary,
        "",
        f"Written by `make examples` (`scripts/train_examples.py`) on commit **{commit}**; every "
        "figure in this card comes from that run.",
        "",
        "## Model details",
        "",
        f"- Kind: `{manifest['kind']}`; file `models/{name}-{version}.h5` "
        f"({manifest['model_bytes']:,} bytes, sha256 `{manifest['sha256']}`), manifest "
        f"`models/{name}-{version}.json`.",
        "- Keras functional model of standard layers only (no Lambda, no custom objects), "
        f"{trained.model.count_params():,} parameters; output: one softmax probability per label "
        f"({', '.join(f'`{label}`' for label in manifest['labels'])}).",
        f"- Input: {_inputs(manifest)}",
        "",
        "## Intended use",
        "",
        trained.card.intended_use,
        "",
        "## Data",
        "",
        trained.card.data,
        "",
        f"Files: {files} (paths relative to `../shared/data/examples`).",
        "",
        "## Training",
        "",
        f"- Split: {split['method']}, seed {split['seed']}: {split['held_out_fraction']:.0%} held "
        f"out ({split['rows']['held_out']} rows), never used for training or for choosing "
        f"anything; of the rest, {split['validation_fraction_of_rest']:.0%} is a validation slice "
        f"({split['rows']['validation']}) for early stopping and {split['rows']['training']} "
        "train the model.",
        f"- Adam (learning rate {fit['learning_rate']}, halved whenever validation loss has not "
        f"fallen for {max(1, fit['patience'] // 3)} epochs), batch {fit['batch_size']}, at most "
        f"{epochs['maximum']} epochs; stopped after {epochs['trained']} (no lower validation "
        f"loss for {fit['patience']}), keeping epoch {epochs['kept']}'s weights.",
    ]
    if augmentation:
        parts.append(
            f"- Augmentation (training only, not in the saved model): rotations up to "
            f"±{augmentation['rotation_degrees']:g}°, shifts up to "
            f"±{augmentation['shift_fraction']:.0%} of the side, zoom ±"
            f"{augmentation['zoom_fraction']:.0%}."
        )
    parts += [
        f"- Reproducible: seed {training['seed']}, TensorFlow op determinism, one thread; the "
        "same data gives the same .h5 bytes on the same machine and library versions.",
        f"- Training time (the fit): {trained.seconds:.0f} s wall, {trained.cpu_seconds:.0f} s of CPU, "
        f"one TensorFlow thread on a {platform.machine()} machine shared with other jobs.",
        "",
        "## Metrics (held-out part)",
        "",
        f"- **Accuracy: {_pct(evaluation.accuracy)}** on {evaluation.rows} held-out examples "
        f"(validation slice, at the kept epoch: {_pct(trained.validation_accuracy)}).",
        "",
        _per_class(trained),
        "",
        "Confusion matrix (rows: true label, columns: predicted):",
        "",
        _confusion(trained),
        "",
    ]
    if trained.slices:
        parts += [slice_table(trained.slices, manifest["labels"][-1]), ""]
    parts += [section + "\n" for section in trained.details if section]
    parts += ["## Caveats", ""]
    parts += [f"- {caveat}" for caveat in trained.card.caveats]
    parts += ["", "## Ethical considerations", ""]
    parts += [f"- {point}" for point in trained.card.ethics]
    return "\n".join(parts) + "\n"
