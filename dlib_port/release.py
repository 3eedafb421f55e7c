"""Build the facesim-resnet release from the installed dlib model files: .h5, manifest, recipe assets.

The weights come from the PyPI package face-recognition-models at build time and are read by our
own reader (dlib_port.dat_network); the manifest records where they came from and what they are.
The evaluation (scripts/evaluate.py) later adds the threshold, the calibration and the metrics.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from dlib_port.dat_network import read_network
from dlib_port.files import LANDMARKS_FILE, PACKAGE, RESNET_FILE, package_models_dir
from service.checksums import sha256_of
from service.kinds.face.align import AssetRef, ChipRecipe
from service.paths import repo_relative

NAME = "facesim-resnet"
VERSION = "2.0.0"
PYPI_NAME = "face-recognition-models"
PACKAGE_VERSION = "0.3.0"
CNN_FILE = "mmod_human_face_detector.dat"
LICENCE = (
    "Public domain / CC0 1.0 (the LICENSE file of face-recognition-models 0.3.0; dlib-models' README: "
    '"released into the public domain"); the 68-point landmark model of that package is not used'
)
# Until an evaluation is attached: dlib's own threshold, stored in the .dat (loss_metric_ dist_thresh).
UNEVALUATED = "not evaluated yet: run scripts/evaluate.py"


def model_paths(out_dir: Path) -> tuple[Path, Path]:
    """models/facesim-resnet-2.0.0.h5 and its manifest."""
    stem = f"{NAME}-{VERSION}"
    return out_dir / f"{stem}.h5", out_dir / f"{stem}.json"


def source_files() -> dict[str, Path]:
    """The package's files this release reads or ships, after checking the package version."""
    installed = metadata.version(PACKAGE)
    if installed != PACKAGE_VERSION:
        raise RuntimeError(
            f"{PACKAGE} {installed} is installed; this release is built from {PACKAGE_VERSION}"
        )
    folder = package_models_dir()
    return {name: folder / name for name in (RESNET_FILE, LANDMARKS_FILE, CNN_FILE)}


def recipe(assets_dir: Path) -> dict[str, Any]:
    """The dlib crop recipe with the sha256 of the files it needs, as shipped in assets_dir."""

    def ref(name: str) -> AssetRef:
        return AssetRef(file=name, sha256=sha256_of(assets_dir / name))

    return ChipRecipe(landmark_model=ref(LANDMARKS_FILE), cnn_detector=ref(CNN_FILE)).model_dump()


def build(out_dir: Path, assets_dir: Path, *, mirror_average: bool) -> dict[str, Any]:
    """Port the network, save the siamese, copy the recipe's files; returns the manifest (no metrics)."""
    # Keras (TensorFlow) only when a model is built: the evaluation imports this module for
    # attach_evaluation, and the port's tests for its defaults.
    from dlib_port.keras_resnet import build_descriptor_model
    from dlib_port.siamese import build_siamese

    files = source_files()
    network = read_network(files[RESNET_FILE])
    siamese = build_siamese(build_descriptor_model(network), mirror_average=mirror_average)
    h5_path, _ = model_paths(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    siamese.save(h5_path)
    assets_dir.mkdir(parents=True, exist_ok=True)
    for name in (LANDMARKS_FILE, CNN_FILE):
        shutil.copyfile(files[name], assets_dir / name)
    return {
        "name": NAME,
        "version": VERSION,
        "sha256": sha256_of(h5_path),
        "input_shape": [*network.input.size, 3],
        "crop": recipe(assets_dir),
        "distance": "euclidean",
        "outputs": ["distance(anchor, img1)", "distance(anchor, img2)"],
        "threshold": network.loss.distance_threshold,
        "threshold_rule": UNEVALUATED + " (until then dlib's own 0.6 from the .dat)",
        "model_bytes": h5_path.stat().st_size,
        "network": {
            "architecture": "dlib_face_recognition_resnet_model_v1 (dlib anet_type: 29 conv, 128-d)",
            "parameters": network.parameter_count,
            "mirror_average": mirror_average,
            "input": "150x150 RGB chip, 0..255; dlib's (x - mean) / 256 is folded into the first conv",
        },
        "source": {
            "package": PYPI_NAME,
            "package_version": PACKAGE_VERSION,
            "file": RESNET_FILE,
            "sha256": sha256_of(files[RESNET_FILE]),
            "licence": LICENCE,
            "trained_by": "Davis King (dlib), ~3 million faces of 7,485 people, no LFW identity",
            "converted_by": "dlib_port (scripts/port_dlib.py): our own .dat reader and Keras graph",
        },
    }


def reload_check(h5_path: Path, samples: np.ndarray) -> np.ndarray:
    """The saved model's distances for `samples`, computed in a fresh Python process."""
    code = (
        "import sys, numpy as np, keras;"
        "m = keras.models.load_model(sys.argv[1], compile=False);"
        "x = np.load(sys.argv[2]);"
        "out = m([x[0], x[1], x[2]]);"
        "np.save(sys.argv[3], np.concatenate([np.asarray(o) for o in out], axis=1))"
    )
    inputs, outputs = h5_path.with_suffix(".check-in.npy"), h5_path.with_suffix(".check-out.npy")
    np.save(inputs, samples)
    try:
        subprocess.run(
            [sys.executable, "-c", code, str(h5_path), str(inputs), str(outputs)], check=True
        )
        return np.asarray(np.load(outputs))
    finally:
        inputs.unlink(missing_ok=True)
        outputs.unlink(missing_ok=True)


def attach_evaluation(h5_path: Path, evaluation: dict[str, Any]) -> list[str]:
    """Threshold, calibration and headline metrics of an evaluation of this very file into its manifest.

    Any face model's (make evaluate --model); here because make port re-attaches the evaluation of
    a rebuilt, byte-identical release, and the port does not depend on the evaluation.
    """
    manifest_path = h5_path.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    if evaluation["model"]["sha256"] != sha256_of(h5_path) or manifest["sha256"] != sha256_of(
        h5_path
    ):
        raise RuntimeError(f"the evaluation is of another file than {h5_path}")
    ours = evaluation["ours"]
    summary = ours["summary"]
    manifest["threshold"] = round(float(ours["threshold"]), 6)
    manifest["threshold_rule"] = (
        f"{str(manifest.get('distance', 'cosine')).capitalize()} distance; same person when "
        "distance <= threshold; the accuracy-maximising threshold on all "
        f"{summary['pairs']:,} LFW View 2 pairs (each fold's own threshold, from the other nine, "
        "is what the accuracy below is measured with)"
    )
    manifest["calibration"] = {
        **evaluation["calibration"]["fit"],
        "fitted_on": f"{evaluation['calibration']['pairs']} LFW View 2 pairs (half same person)",
        "ece_cross_validated": evaluation["calibration"]["reliability_cross_validated"]["ece"],
    }
    manifest["metrics"] = {
        "protocol": evaluation["protocol"],
        "accuracy_mean": summary["accuracy"]["mean"],
        "accuracy_std": summary["accuracy"]["std"],
        "auc_mean": summary["auc"]["mean"],
        "triplet_accuracy_mean": summary["triplet_accuracy"]["mean"],
        "pooled": summary["pooled"],
        "unanswered_pairs": summary["unanswered"],
        "lfw_face_found_share": evaluation["detection"]["share"],
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return [f"wrote {repo_relative(manifest_path)}: threshold {manifest['threshold']}"]
