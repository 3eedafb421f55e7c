"""The same-person probability: a logistic fit that recovers what generated the data, and its reliability."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import calibration
from service.kinds.face.manifest import Calibration
from service.kinds.face.verdicts import judge


def synthetic(
    n: int, intercept: float, slope: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Distances and labels drawn from a known logistic model."""
    rng = np.random.default_rng(seed)
    d = rng.uniform(0.0, 1.2, n)
    p = 1.0 / (1.0 + np.exp(-(intercept + slope * d)))
    return d, rng.random(n) < p


def test_the_fit_recovers_the_generating_parameters() -> None:
    d, same = synthetic(20_000, 9.0, -15.0)
    fit = calibration.fit_logistic(d, same)
    assert fit.intercept == pytest.approx(9.0, rel=0.1)
    assert fit.slope == pytest.approx(-15.0, rel=0.1)


def test_probabilities_of_the_true_model_are_reliable_and_a_wrong_model_is_not() -> None:
    d, same = synthetic(20_000, 9.0, -15.0, seed=1)
    good = calibration.reliability(calibration.Logistic(9.0, -15.0).probability(d), same)
    bad = calibration.reliability(calibration.Logistic(5.0, -15.0).probability(d), same)
    assert good["ece"] < 0.02 < bad["ece"]
    assert good["brier"] < bad["brier"]
    assert sum(b["pairs"] for b in good["bins"]) == len(d)


def test_cross_validated_probabilities_come_from_the_other_folds_at_their_threshold() -> None:
    d, same = synthetic(2_000, 9.0, -15.0, seed=2)
    folds = np.arange(len(d)) % 10
    thresholds = {f: 0.55 + 0.01 * f for f in range(10)}
    out = calibration.cross_validated(d, same, folds, thresholds)
    assert out.shape == d.shape and np.all((out > 0) & (out < 1))
    first = folds == 0
    alone = calibration.fit_at_threshold(d[~first], same[~first], 0.55).probability(d[first])
    assert np.allclose(out[first], alone)


def test_the_fit_at_the_threshold_has_its_one_half_there_and_recovers_the_slope() -> None:
    d, same = synthetic(20_000, 9.0, -15.0, seed=3)
    fit = calibration.fit_at_threshold(d, same, 0.6)  # the generating midpoint: 9 / 15
    assert fit.midpoint == pytest.approx(0.6, abs=1e-12)
    assert fit.probability(np.array([0.6]))[0] == pytest.approx(0.5, abs=1e-12)
    assert fit.slope == pytest.approx(-15.0, rel=0.1)


def test_a_threshold_off_the_data_midpoint_still_gets_the_best_slope_for_it() -> None:
    d, same = synthetic(20_000, 9.0, -15.0, seed=4)
    at, off = calibration.fit_at_threshold(d, same, 0.6), calibration.fit_at_threshold(d, same, 0.7)

    def log_loss(fit: calibration.Logistic) -> float:
        return float(calibration.reliability(fit.probability(d), same)["log_loss"])

    assert log_loss(at) < log_loss(off)
    nearby = calibration.Logistic(-(off.slope * 1.2) * 0.7, off.slope * 1.2)
    assert log_loss(off) <= log_loss(nearby)


def test_perfectly_separated_pairs_still_give_a_finite_fit() -> None:
    d = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 1.0])
    same = np.array([True, True, True, False, False, False])
    fit = calibration.fit_logistic(d, same)
    assert np.isfinite([fit.intercept, fit.slope]).all() and fit.slope < 0


def test_one_class_cannot_be_calibrated() -> None:
    with pytest.raises(ValueError, match="both"):
        calibration.fit_logistic(np.array([0.1, 0.2]), np.array([True, True]))


def test_the_service_computes_the_same_probability_from_the_manifest() -> None:
    d, same = synthetic(5_000, 8.5, -14.0, seed=5)
    fit = calibration.fit_at_threshold(d, same, 0.61)
    served = Calibration.model_validate(fit.as_manifest())
    assert served.method == "logistic-at-threshold"
    for distance in (0.0, 0.4, 0.6, 0.61, 1.3, 50.0):
        verdict = judge(distance, 0.61, served.slope)
        assert verdict.probability == pytest.approx(
            float(fit.probability(np.array([distance]))[0]), abs=1e-12
        )
