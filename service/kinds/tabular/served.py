"""The tabular model being served: manifest, generated request schema, and the model's input order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from service.inference import Array
from service.kinds.tabular.features import encode_rows
from service.kinds.tabular.manifest import TabularManifest
from service.kinds.tabular.request import parse_rows


@dataclass(frozen=True)
class TabularModel:
    """What a request needs: the schema its rows must match and how they become model inputs."""

    manifest: TabularManifest
    request: type[BaseModel]
    input_names: tuple[str, ...]  # the model's inputs, in the order it takes them

    def parse(self, body: bytes) -> list[dict[str, Any]]:
        """Validated rows, or 422 naming the row and the field."""
        return parse_rows(body, self.request)

    def encode(self, rows: list[dict[str, Any]]) -> list[Array]:
        """The rows as the model's inputs, by the manifest's features (training's encoder)."""
        encoded = encode_rows(rows, self.manifest.features)
        return [np.asarray(encoded[name]) for name in self.input_names]
