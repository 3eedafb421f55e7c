"""The model card's numbers come from the evaluation JSON, replaced in place between markers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evaluation import report
from service.paths import REPO_ROOT

CARD = REPO_ROOT / "docs" / "MODEL_CARD.md"
COMMITTED = json.loads(
    (REPO_ROOT / "reports" / "evaluation" / "model_eval_resnet.json").read_text()
)
# The calibration of the default model (2.0.2), from its own make evaluate run.
CALIBRATED = json.loads(
    (REPO_ROOT / "reports" / "evaluation" / "model_eval_resnet_2.0.2.json").read_text()
)


def block(text: str, name: str) -> str:
    """The text between <!-- name --> and <!-- /name -->."""
    match = re.search(rf"<!-- {name} -->\n(.*?)\n<!-- /{name} -->", text, re.DOTALL)
    assert match is not None, name
    return match.group(1)


def test_the_committed_card_is_what_the_committed_evaluation_renders() -> None:
    card = CARD.read_text()
    assert block(card, report.HEADLINE_BLOCK) == report.headline_markdown(COMMITTED)
    assert block(card, report.EVALUATION_BLOCK) == report.evaluation_markdown(COMMITTED)
    assert block(card, report.CALIBRATION_BLOCK) == report.calibration_markdown(CALIBRATED)


def test_the_card_states_the_calibration_the_default_manifest_serves() -> None:
    manifest = json.loads((REPO_ROOT / "models" / "facesim-resnet-2.0.2.json").read_text())
    assert CALIBRATED["calibration"]["fit"]["slope"] == manifest["calibration"]["slope"]
    assert CALIBRATED["calibration"]["at_threshold"] == pytest.approx(
        manifest["threshold"], abs=1e-6
    )
    assert "one half at the threshold" in report.calibration_markdown(CALIBRATED)


def test_card_blocks_are_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    card = tmp_path / "MODEL_CARD.md"
    name = report.EVALUATION_BLOCK
    card.write_text(f"# Card\n<!-- {name} -->\nold numbers\n<!-- /{name} -->\nkept text\n")
    assert report.update_card(card, name, report.evaluation_markdown(COMMITTED))
    first = card.read_text()
    assert "old numbers" not in first and first.endswith("kept text\n")
    assert "| **ours** (facesim-resnet 2.0.0, the service's pipeline) | 99.17 % ± 0.42 % |" in first
    assert "| no face found (either photo) | 0 | n/a | n/a |" in first
    assert report.update_card(card, name, report.evaluation_markdown(COMMITTED))
    assert card.read_text() == first


def test_card_without_markers_is_left_alone(tmp_path: Path) -> None:
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("no markers\n")
    assert not report.update_card(card, report.EVALUATION_BLOCK, "x")
    assert card.read_text() == "no markers\n"
    assert not report.update_card(tmp_path / "missing.md", report.EVALUATION_BLOCK, "x")
