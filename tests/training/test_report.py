"""The model card's numbers come from the evaluation JSON, replaced in place between markers."""

from __future__ import annotations

from pathlib import Path

from training import report

EVALUATION = {
    "protocol": "identity-disjoint two halves",
    "summary": {
        "accuracy": {"mean": 0.9, "std": 0.01},
        "auc": {"mean": 0.95, "std": 0.005},
        "tar_at_far_1pct": {"mean": 0.5, "std": 0.1},
        "triplet_accuracy": {"mean": 0.97, "std": 0.01},
        "triplets": 3000,
        "pairs": 6000,
        "folds": 10,
    },
    "folds": [
        {
            "fold": 1,
            "threshold": 0.4,
            "accuracy": 0.91,
            "auc": 0.95,
            "tar_at_far_1pct": 0.5,
            "triplet_accuracy": 0.97,
        }
    ],
    "runs": [
        {
            "train_folds": [6, 7, 8, 9, 10],
            "test_folds": [1, 2, 3, 4, 5],
            "train_people": 9,
            "train_images": 99,
            "seconds": 60.0,
        }
    ],
    "slices": {
        "greyscale (either photo)": {
            "pairs": 0,
            "same_share": float("nan"),
            "accuracy": float("nan"),
        }
    },
}


def test_card_block_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Card\n<!-- EVALUATION -->\nold numbers\n<!-- /EVALUATION -->\nkept text\n")
    assert report.update_card(card, report.EVAL_BLOCK, report.evaluation_markdown(EVALUATION))
    first = card.read_text()
    assert "old numbers" not in first and "kept text" in first
    assert "90.0 % ± 1.0 %" in first and "| 1 | 6-10 | 0.4000 | 91.0 % |" in first
    assert "| greyscale (either photo) | 0 | n/a | n/a |" in first
    assert report.update_card(card, report.EVAL_BLOCK, report.evaluation_markdown(EVALUATION))
    assert card.read_text() == first


def test_card_without_markers_is_left_alone(tmp_path: Path) -> None:
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("no markers\n")
    assert not report.update_card(card, report.EVAL_BLOCK, "x")
    assert card.read_text() == "no markers\n"
    assert not report.update_card(tmp_path / "missing.md", report.EVAL_BLOCK, "x")


def test_training_folds_read_as_people_would_say_them() -> None:
    assert report.folds_text([1, 2, 3, 4, 5]) == "1-5"
    assert report.folds_text([1, 2, 4, 5, 6, 7, 8, 9, 10]) == "all but 3"
    assert report.folds_text([2, 5]) == "2, 5"
    assert report.folds_text([7]) == "7"
