"""LFW View 2, ten folds, through the service's own pipeline: the accuracy of any face model file.

`make evaluate` evaluates the bundled model (dlib's ResNet ported to Keras; no LFW person was in its
training), so every fold is a test fold; `--model path/to/your.h5` evaluates another, cropped with
the recipe its manifest names. Writes reports/evaluation/model_eval_resnet.json (+ .log) by default, puts the
threshold, the calibration and the headline metrics into the model's manifest and, for the bundled
model, the numbers into docs/MODEL_CARD.md (evaluation/cli.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.cli import main

if __name__ == "__main__":
    main()
