"""The one interface every model kind implements; the core (runtime, queue, app) sees only this.

A kind owns what differs between models: its manifest fields, the check that the .h5 fits them, the
batch function the queue calls, its routes, request and response schemas, examples and page.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
from fastapi import APIRouter
from numpy.typing import NDArray

from service.config import Settings
from service.errors import ModelNotReady
from service.inference import Array, BatchFunction
from service.manifest import ModelManifest
from service.model import Signature

# The loaded model's forward pass: its inputs in order, every output as (batch, -1).
Forward = Callable[[Sequence[Array]], list[NDArray[np.float64]]]


class Kind(ABC):
    """One model kind; an instance serves one model in one process."""

    name: ClassVar[str]
    # What the service does, for the OpenAPI description (the model's own line follows it).
    summary: ClassVar[str]
    # The page: index.html and its assets, served at / and /static.
    static_dir: ClassVar[Path]

    @abstractmethod
    def routers(self) -> list[APIRouter]:
        """The kind's API routes."""

    @abstractmethod
    def open(self, manifest: ModelManifest, settings: Settings) -> None:
        """Validate the kind's manifest fields and files; runs before TensorFlow is imported."""

    @abstractmethod
    def bind(self, signature: Signature, predict: Forward) -> BatchFunction:
        """Refuse a model whose inputs or outputs do not fit the manifest; the queue's function."""

    @abstractmethod
    def warm_up_inputs(self) -> list[Array]:
        """One request's worth of valid inputs, run once before the service reports ready."""

    @abstractmethod
    def describe(self) -> str:
        """The loaded model in one line of Markdown, for the OpenAPI description."""

    def info(self) -> dict[str, Any]:
        """What GET /v1/model adds for this kind (labels, features, threshold...)."""
        return {}

    def document(self, schema: dict[str, Any]) -> None:  # noqa: B027 - most kinds add nothing
        """Complete the OpenAPI document once the model is loaded (schemas it alone knows)."""

    def warm_up(self) -> None:  # noqa: B027 - an optional hook: most kinds start nothing
        """Start helpers the first request would otherwise wait for."""

    def close(self) -> None:  # noqa: B027 - an optional hook: most kinds hold nothing
        """Stop the kind's helpers at shutdown."""


T = TypeVar("T")


def opened(state: T | None) -> T:
    """A kind's state once start-up has opened the model; 503 not_ready before (a request that
    arrives while the model loads)."""
    if state is None:
        raise ModelNotReady("not ready: the model is still loading")
    return state
