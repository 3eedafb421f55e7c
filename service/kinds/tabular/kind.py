"""The tabular-classification kind: rows of named features in, one probability per label out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from service.config import Settings
from service.errors import ModelError
from service.inference import Array, BatchFunction
from service.kinds.base import Forward, Kind, opened
from service.kinds.classification import probabilities
from service.kinds.tabular import routes
from service.kinds.tabular.features import (
    CATEGORICAL_INPUT,
    NUMERIC_INPUT,
    CategoricalFeature,
    example_row,
)
from service.kinds.tabular.manifest import TabularManifest
from service.kinds.tabular.request import request_model
from service.kinds.tabular.served import TabularModel
from service.manifest import ModelManifest, validate_manifest
from service.model import Signature

STATIC_DIR = Path(__file__).resolve().parent / "static"


class TabularKind(Kind):
    """POST /predict with {"rows": [...]}: a label and probabilities per row."""

    name = "tabular-classification"
    summary = (
        "Send rows of features as JSON; learn each row's label, with every label's probability."
    )
    static_dir = STATIC_DIR

    def __init__(self) -> None:
        self._manifest: TabularManifest | None = None
        self._max_rows = 1
        self._model: TabularModel | None = None

    @property
    def model(self) -> TabularModel:
        """The bound model; 503 before start-up has loaded it."""
        return opened(self._model)

    def routers(self) -> list[APIRouter]:
        """POST /predict."""
        return [routes.router]

    def open(self, manifest: ModelManifest, settings: Settings) -> None:
        """Labels and features, and the row limit."""
        self._manifest = validate_manifest(manifest, TabularManifest, manifest.name)
        self._max_rows = settings.max_rows

    def bind(self, signature: Signature, predict: Forward) -> BatchFunction:
        """Inputs "numeric" (and "categorical"), one per feature of that type; probabilities out."""
        manifest = self._manifest
        if manifest is None:
            raise ModelError("the manifest was not opened before the model was bound")
        categorical = sum(isinstance(f, CategoricalFeature) for f in manifest.features)
        want = {NUMERIC_INPUT: (len(manifest.features) - categorical,)}
        if categorical:
            want[CATEGORICAL_INPUT] = (categorical,)
        got = {t.name: t.shape for t in signature.inputs}
        if got != want:
            raise ModelError(
                f"model inputs {got}; the manifest's features need {want} "
                "(numeric values, and category indices, in the manifest's feature order)"
            )
        batch = probabilities(signature.outputs, manifest.labels, predict)
        self._model = TabularModel(
            manifest=manifest,
            request=request_model(manifest.features, self._max_rows),
            input_names=tuple(t.name for t in signature.inputs),
        )
        return batch

    def warm_up_inputs(self) -> list[Array]:
        """The manifest's example row."""
        return self.model.encode([example_row(self.model.manifest.features)])

    def describe(self) -> str:
        """Name, version, features and labels."""
        m = self.model.manifest
        return (
            f"**{m.name} {m.version}** ({len(m.features)} features, labels "
            f"{', '.join(m.labels)}; up to {self._max_rows} rows per request)."
        )

    def info(self) -> dict[str, Any]:
        """Labels, features (with bounds, categories and examples) and the row limit."""
        m = self.model.manifest
        return {
            "labels": m.labels,
            "features": [f.model_dump() for f in m.features],
            "max_rows": self._max_rows,
        }

    def document(self, schema: dict[str, Any]) -> None:
        """Put the generated request schema (the real fields, an example row) into the OpenAPI."""
        generated = self.model.request.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(generated.pop("$defs", {}))
        components["PredictRequest"] = generated
