"""WCCN: whitens the within-person spread, and the Dense form is the same map."""

from __future__ import annotations

import numpy as np
import pytest

from training import whitening


def _people(rng: np.random.Generator, noisy_axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Six people, twenty photos each, whose photos vary mostly along one axis."""
    centres = rng.normal(0.0, 1.0, (6, 4))
    labels = np.repeat(np.arange(6), 20).astype(np.int32)
    noise = rng.normal(0.0, 0.05, (len(labels), 4))
    noise[:, noisy_axis] *= 20.0
    return (centres[labels] + noise).astype(np.float32), labels


def test_within_person_covariance_becomes_the_identity_without_shrinkage() -> None:
    vectors, labels = _people(np.random.default_rng(0))
    fitted = whitening.fit(vectors, labels, shrink=1e-9)
    out = fitted.apply(vectors).astype(np.float64)
    centred = out - np.stack([out[labels == label].mean(axis=0) for label in labels])
    covariance = centred.T @ centred / len(out)
    assert np.allclose(covariance, np.eye(4), atol=1e-3)


def test_full_shrinkage_only_rescales() -> None:
    vectors, labels = _people(np.random.default_rng(1))
    fitted = whitening.fit(vectors, labels, shrink=1.0)
    diagonal = np.diag(fitted.matrix)
    assert np.allclose(fitted.matrix, np.diag(diagonal), atol=1e-6)
    assert np.allclose(diagonal, diagonal[0])


def test_the_noisy_axis_is_damped_relative_to_the_others() -> None:
    vectors, labels = _people(np.random.default_rng(2), noisy_axis=2)
    matrix = whitening.fit(vectors, labels, shrink=0.5).matrix
    gains = np.linalg.norm(matrix, axis=0)
    assert gains[2] < 0.5 * min(gains[i] for i in (0, 1, 3))


def test_dense_weights_are_the_same_map() -> None:
    vectors, labels = _people(np.random.default_rng(3))
    fitted = whitening.fit(vectors, labels, shrink=0.5)
    kernel, bias = fitted.dense_weights()
    assert np.allclose(vectors @ kernel + bias, fitted.apply(vectors), atol=1e-5)


@pytest.mark.parametrize("shrink", [0.0, -0.1, 1.5])
def test_shrink_outside_zero_one_is_refused(shrink: float) -> None:
    vectors, labels = _people(np.random.default_rng(4))
    with pytest.raises(ValueError, match="shrink"):
        whitening.fit(vectors, labels, shrink)


def test_labels_must_match_rows() -> None:
    vectors, labels = _people(np.random.default_rng(5))
    with pytest.raises(ValueError, match="label"):
        whitening.fit(vectors, labels[:-1], 0.5)
