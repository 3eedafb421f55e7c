"""What a trainer hands to publishing: the model, its manifest body, its figures and its card text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from training.examples.metrics import Evaluation, SliceFigures

VERSION = "1.0.0"


@dataclass(frozen=True)
class CardText:
    """The model card's prose; every figure is filled in from the run, not written here."""

    summary: str
    intended_use: str
    data: str
    caveats: list[str]
    ethics: list[str]


@dataclass(frozen=True)
class Probe:
    """Inputs and the in-process probabilities, to prove the saved file reloads to the same answers."""

    inputs: dict[str, Any]
    probabilities: Any


@dataclass
class Trained:
    """One trained example model, ready to be saved, described and checked."""

    name: str
    model: Any
    manifest: dict[str, Any]
    evaluation: Evaluation
    validation_accuracy: float
    epochs_trained: int
    seconds: float  # wall time of the fit
    cpu_seconds: float  # CPU time of the fit (the machine may have been shared)
    card: CardText
    probe: Probe
    details: list[str] = field(default_factory=list)  # extra card sections (markdown)
    slices: list[SliceFigures] = field(default_factory=list)
    samples: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes, for tests/pages
