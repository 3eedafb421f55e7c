"""Random stratified splits with a fixed seed: every class in the same proportion on both sides."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Indices = NDArray[np.int64]


@dataclass(frozen=True)
class Split:
    """Row indices of the two parts; disjoint, together every row."""

    kept: Indices
    held_out: Indices


def stratified_split(labels: NDArray[np.int64], held_out_fraction: float, seed: int) -> Split:
    """Hold out round(fraction x n_c) rows of every class c, drawn at random with `seed`."""
    if not 0.0 < held_out_fraction < 1.0:
        raise ValueError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}")
    rng = np.random.default_rng(seed)
    held: list[Indices] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = round(held_out_fraction * len(members))
        held.append(rng.permutation(members)[:count])
    held_out = np.sort(np.concatenate(held)).astype(np.int64)
    kept = np.setdiff1d(np.arange(len(labels)), held_out).astype(np.int64)
    return Split(kept=kept, held_out=held_out)


def within(indices: Indices, labels: NDArray[np.int64], fraction: float, seed: int) -> Split:
    """A stratified split of a subset (e.g. a validation slice of the training part), as row indices."""
    inner = stratified_split(labels[indices], fraction, seed)
    return Split(kept=indices[inner.kept], held_out=indices[inner.held_out])
