"""Within-class covariance normalisation (WCCN) of embeddings, fitted on the training people only.

The CosFace head separates the training identities; what varies *within* a person (pose, light,
expression) still spreads along a few directions of the embedding. Whitening those directions
(Hatch et al., "Within-class covariance normalization for SVM-based speaker recognition", 2006)
makes a cosine between two unseen people's photos weigh identity more than pose. It is one affine
map, saved inside the .h5 as a Dense layer, so the service's code does not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Whitening:
    """v -> (v - mean) @ matrix, applied to unit embeddings before the cosine."""

    mean: NDArray[np.float32]
    matrix: NDArray[np.float32]

    def apply(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """Whitened rows (not re-normalised: the cosine does that)."""
        return np.asarray((vectors - self.mean) @ self.matrix, dtype=np.float32)

    def dense_weights(self) -> list[NDArray[np.float32]]:
        """The same map as a Keras Dense layer's [kernel, bias]."""
        bias = -(self.mean @ self.matrix)
        return [self.matrix.astype(np.float32), bias.astype(np.float32)]


def fit(vectors: NDArray[np.float32], labels: NDArray[np.int32], shrink: float) -> Whitening:
    """Inverse square root of the pooled within-person covariance, shrunk towards a sphere.

    `shrink` (0..1) mixes in the average variance on every axis: the training people's photos were
    fitted by the network, so their within-person spread understates an unseen person's, and a full
    inverse would amplify directions that only look quiet on the training set.
    """
    if not 0.0 < shrink <= 1.0:
        raise ValueError(f"shrink must be in (0, 1], got {shrink}")
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(labels):
        raise ValueError("one label per embedding row is needed")
    centred = x.copy()
    for label in np.unique(labels):
        rows = labels == label
        centred[rows] -= x[rows].mean(axis=0)
    within = centred.T @ centred / len(x)
    dim = within.shape[0]
    within = (1.0 - shrink) * within + shrink * (np.trace(within) / dim) * np.eye(dim)
    values, axes = np.linalg.eigh(within)
    values = np.maximum(values, 1e-12)  # a degenerate (tiny test) set must not divide by zero
    inverse_root = axes @ np.diag(values**-0.5) @ axes.T
    return Whitening(x.mean(axis=0).astype(np.float32), inverse_root.astype(np.float32))
