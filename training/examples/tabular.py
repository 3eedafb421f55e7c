"""census-income and banknote-authentication: a CSV -> a tabular-classification model."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from service.kinds.tabular.features import (
    CategoricalFeature,
    Feature,
    NumericFeature,
    encode_rows,
)
from training.examples import datasets, keras_models
from training.examples.metrics import evaluate, slices
from training.examples.records import VERSION, Probe, Trained
from training.examples.split import stratified_split, within
from training.examples.tables import TableSpec

Row = Mapping[str, str]


def number(text: str) -> int | float:
    """A CSV number as an int when it is whole (census ages, dollars), else a float."""
    value = float(text)
    return int(value) if value.is_integer() else value


def derive_features(spec: TableSpec, rows: Sequence[Row], example: Row) -> list[Feature]:
    """Numeric bounds and categories as seen in the training rows; examples from `example`."""
    features: list[Feature] = []
    for name in spec.numeric:
        values = [number(row[name]) for row in rows]
        features.append(
            NumericFeature(
                name=name,
                description=spec.descriptions[name],
                minimum=min(values),
                maximum=max(values),
                example=number(example[name]),
            )
        )
    for name in spec.categorical:
        features.append(
            CategoricalFeature(
                name=name,
                description=spec.descriptions[name],
                categories=sorted({row[name] for row in rows}),
                example=example[name],
            )
        )
    return features


def refusal(row: Row, features: Sequence[Feature]) -> str | None:
    """Why the service would refuse this row (unknown category, number out of bounds), or None."""
    for feature in features:
        if isinstance(feature, CategoricalFeature) and row[feature.name] not in feature.categories:
            return f"unknown {feature.name}"
        if isinstance(feature, NumericFeature) and not (
            feature.minimum <= float(row[feature.name]) <= feature.maximum
        ):
            return f"{feature.name} out of the training range"
    return None


def train(spec: TableSpec, root: Path, *, log: Any = print) -> Trained:
    """Split, fit (early stopping on a validation slice), evaluate on held-out rows the service accepts."""
    source = datasets.data_file(root, spec.data)
    table = datasets.read_table(root / spec.data)
    values = list(spec.labels)
    y = np.array([values.index(row[spec.label_column]) for row in table.rows], np.int64)
    parts = stratified_split(y, spec.held_out_fraction, spec.seed)
    fit_part = within(parts.kept, y, spec.validation_fraction, spec.seed + 1)
    kept_rows = [table.rows[i] for i in parts.kept]
    features = derive_features(spec, kept_rows, kept_rows[0])
    refusals = {int(i): refusal(table.rows[i], features) for i in parts.held_out}
    held = np.array([i for i, why in refusals.items() if why is None], np.int64)

    def encode(indices: NDArray[np.int64]) -> dict[str, NDArray[np.float32]]:
        return encode_rows([table.rows[i] for i in indices], features)

    keras_models.make_deterministic(spec.seed)
    vocabularies = [len(f.categories) for f in features if isinstance(f, CategoricalFeature)]
    model = keras_models.tabular_mlp(encode(fit_part.kept)["numeric"], vocabularies, len(values))
    log(f"{spec.name}: {len(fit_part.kept)} training, {len(fit_part.held_out)} validation rows")
    started, cpu_started = time.perf_counter(), time.process_time()
    history = keras_models.fit(
        model,
        (encode(fit_part.kept), y[fit_part.kept]),
        (encode(fit_part.held_out), y[fit_part.held_out]),
        spec.fit,
        log=log,
    )
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    inputs = encode(held)
    probabilities = keras_models.predict(model, inputs)
    predicted = probabilities.argmax(axis=1)
    labels = list(spec.labels.values())
    evaluation = evaluate(y[held], predicted, labels)
    log(f"{spec.name}: held-out accuracy {evaluation.accuracy:.4f} on {evaluation.rows} rows")
    chosen = [
        held[np.flatnonzero((y[held] == c) & (predicted == c))[0]] for c in range(len(values))
    ]
    features = derive_features(spec, kept_rows, table.rows[chosen[0]])
    sliced = [
        figure
        for feature in features
        if isinstance(feature, CategoricalFeature)
        for figure in slices(
            [table.rows[i][feature.name] for i in held],
            feature.name,
            feature.categories,
            y[held],
            predicted,
            positive=len(values) - 1,
        )
    ]
    excluded = _count([why for why in refusals.values() if why is not None])
    validation = history[keras_models.best_epoch(history) - 1]["val_accuracy"]
    manifest = {
        "kind": "tabular-classification",
        "name": spec.name,
        "version": VERSION,
        "labels": labels,
        "features": [f.model_dump() for f in features],
        "training": {
            "data": [{"file": source.relative, "sha256": source.sha256}],
            "label_column": spec.label_column,
            "label_values": values,
            "dropped_columns": spec.dropped,
            "split": {
                "method": "random, stratified by label",
                "held_out_fraction": spec.held_out_fraction,
                "validation_fraction_of_rest": spec.validation_fraction,
                "seed": spec.seed,
                "rows": {
                    "training": len(fit_part.kept),
                    "validation": len(fit_part.held_out),
                    "held_out": len(parts.held_out),
                },
            },
            "seed": spec.seed,
            "epochs": {
                "maximum": spec.fit.epochs,
                "trained": len(history),
                "kept": keras_models.best_epoch(history),
            },
            "fit": asdict(spec.fit),
        },
        "metrics": {
            **evaluation.as_manifest(),
            "held_out_rows_refused": excluded,
            "validation_accuracy": round(validation, 6),
        },
    }
    sample_rows = [
        {"line": int(i) + 2, "label": labels[y[i]], "row": _typed(table.rows[i], features)}
        for i in chosen
    ]
    return Trained(
        name=spec.name,
        model=model,
        manifest=manifest,
        evaluation=evaluation,
        validation_accuracy=validation,
        epochs_trained=len(history),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        card=spec.card,
        probe=Probe(
            inputs={k: v[:16] for k, v in inputs.items()}, probabilities=probabilities[:16]
        ),
        slices=sliced,
        samples={f"{spec.name}-rows.json": _sample_file(spec, sample_rows)},
        details=[_refused_section(excluded, len(parts.held_out)), _dropped_section(spec)],
    )


def _typed(row: Row, features: Sequence[Feature]) -> dict[str, int | float | str]:
    """A CSV row as a request would send it: numbers as numbers, only the model's features."""
    return {
        f.name: number(row[f.name]) if isinstance(f, NumericFeature) else row[f.name]
        for f in features
    }


def _count(reasons: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def _sample_file(spec: TableSpec, rows: list[dict[str, Any]]) -> bytes:
    """The committed sample rows (one per label), with where they came from."""
    document = {
        "model": spec.name,
        "source": f"../shared/data/examples/{spec.data} (line numbers count the header as line 1)",
        "selection": "for each label, the first held-out row of that label the model classifies "
        "correctly; the first row is every feature's example in the manifest",
        "rows": rows,
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _refused_section(excluded: Mapping[str, int], held_out: int) -> str:
    lines = ["## Held-out rows left out", ""]
    if not excluded:
        return "\n".join(
            [
                *lines,
                f"None: all {held_out} held-out rows are within the manifest's "
                "categories and bounds.",
            ]
        )
    lines.append(
        f"Of {held_out} held-out rows, these would be refused by the service (a category "
        "or a number the training part never had) and are not in the figures:"
    )
    lines.append("")
    lines += [f"- {reason}: {count}" for reason, count in excluded.items()]
    return "\n".join(lines)


def _dropped_section(spec: TableSpec) -> str:
    if not spec.dropped:
        return ""
    lines = ["## Columns not used", ""]
    lines += [f"- `{column}`: {why}" for column, why in spec.dropped.items()]
    return "\n".join(lines)
