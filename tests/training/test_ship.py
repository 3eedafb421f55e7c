"""Attaching a cross-validation to a trained model's manifest, and refusing a mismatched one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.checksums import sha256_of
from training import ship
from training.train import TrainConfig

PARAMETERS = TrainConfig(epochs=3).as_dict()


def evaluation(threshold: float, **config: Any) -> dict[str, Any]:
    stats = {"mean": 0.9, "std": 0.01}
    return {
        "protocol": "ten-fold",
        "config": {**PARAMETERS, **config},
        "shipped_threshold": threshold,
        "summary": {
            "accuracy": stats,
            "auc": stats,
            "tar_at_far_1pct": stats,
            "triplet_accuracy": stats,
            "triplets": 30,
            "pairs": 60,
            "folds": 10,
        },
    }


def trained_model(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    h5 = tmp_path / "m.h5"
    h5.write_bytes(b"weights")
    trained = {
        "name": "m",
        "sha256": sha256_of(h5),
        "training": {"parameters": PARAMETERS},
        "forward_pass_ms_median": 4.2,
    }
    return h5, ship.complete_manifest(trained, evaluation(0.5), PARAMETERS)


def test_a_newer_evaluation_replaces_threshold_and_metrics_only(tmp_path: Path) -> None:
    h5, current = trained_model(tmp_path)
    updated = ship.reattach_evaluation(h5, current, evaluation(0.61234567))
    assert updated["threshold"] == 0.612346
    assert updated["metrics"]["forward_pass_ms_median"] == 4.2
    assert {k: v for k, v in updated.items() if k not in ("threshold",)} == {
        k: v for k, v in current.items() if k not in ("threshold",)
    }


def test_an_evaluation_of_another_procedure_is_refused(tmp_path: Path) -> None:
    h5, current = trained_model(tmp_path)
    with pytest.raises(ValueError, match="another training configuration"):
        ship.reattach_evaluation(h5, current, evaluation(0.6, epochs=30))


def test_a_model_file_that_changed_is_refused(tmp_path: Path) -> None:
    h5, current = trained_model(tmp_path)
    h5.write_bytes(b"other weights")
    with pytest.raises(ValueError, match="sha256"):
        ship.reattach_evaluation(h5, current, evaluation(0.6))
