"""The card's figure is drawn from make evaluate's JSON, headless."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from evaluation import calibration, metrics, plots


def test_the_roc_and_reliability_figure_is_drawn_from_the_results(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    d = np.concatenate([rng.normal(0.4, 0.08, 500), rng.normal(0.8, 0.08, 500)])
    same = np.arange(1000) < 500
    fit = calibration.fit_at_threshold(d, same, 0.6)
    results = json.loads(
        json.dumps(
            {
                "model": {"name": "facesim-resnet", "version": "9.9.9"},
                "ours": {"roc": metrics.roc_curve(d, same)},
                "calibration": {
                    "reliability_cross_validated": calibration.reliability(fit.probability(d), same)
                },
            }
        )
    )
    out = tmp_path / "card.png"
    plots.roc_and_reliability(results, out)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] > 800
