"""Train the shipped model on every LFW person by the cross-validated procedure, save .h5 + manifest."""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from service.checksums import sha256_of
from training import lfw, manifest
from training.pipeline import Dataset, Logger, training_keys
from training.train import TrainConfig, Trained, fit_embedding, to_channels

# Served-model outputs may differ from the numpy evaluation path only by float rounding.
RELOAD_TOLERANCE = 1e-4


def train_and_save(
    dataset: Dataset,
    config: TrainConfig,
    out_dir: Path,
    *,
    data_source: str,
    name: str = manifest.MODEL_NAME,
    version: str = manifest.MODEL_VERSION,
    log: Logger = print,
) -> dict[str, Any]:
    """Fit on all people, save the siamese .h5, check it reloads; returns the manifest minus evaluation."""
    from training import network

    started = time.perf_counter()
    keys = training_keys(dataset, lfw.range_all_folds(), config.min_images)
    trained = fit_embedding(dataset.crops.subset(keys), config, log)
    seconds = time.perf_counter() - started
    siamese = trained.siamese()
    h5_path = manifest.model_paths(out_dir, name, version)[0]
    network.save_model(siamese, h5_path)
    reloaded = network.load_model(h5_path)
    _check_reload(trained, reloaded, dataset, keys, config)
    latency = network.forward_latency_ms(reloaded)
    log(
        f"saved {h5_path} ({h5_path.stat().st_size / 1e6:.1f} MB); 3-image forward pass {latency:.1f} ms"
    )
    return {
        "name": name,
        "version": version,
        "sha256": sha256_of(h5_path),
        "input_shape": [config.size, config.size, config.channels],
        "crop": config.crop_recipe().model_dump(),
        "distance": "cosine",
        "outputs": ["distance(anchor, img1)", "distance(anchor, img2)"],
        "training": {
            "data": data_source,
            "min_images_per_person": config.min_images,
            "people": len({k.split("/", 1)[0] for k in keys}),
            "images": len(keys),
            "epochs": config.epochs,
            "seed": config.seed,
            "parameters": config.as_dict(),
            "loss": f"CosFace (s={config.cosface_scale}, m={config.cosface_margin}) identity classifier",
            "duration_s": round(seconds, 1),
            "final_loss": trained.history[-1]["loss"] if trained.history else None,
            "host": f"{platform.machine()} CPU, {config.threads} threads",
        },
        "forward_pass_ms_median": round(latency, 2),
        "model_bytes": h5_path.stat().st_size,
    }


def reattach_evaluation(
    h5_path: Path, current: dict[str, Any], evaluation: dict[str, Any]
) -> dict[str, Any]:
    """The manifest of an already trained model with a newer evaluation of its procedure attached.

    The evaluation measures the procedure, not the file, so a rerun of scripts/evaluate.py (e.g.
    another protocol) updates the threshold and metrics without retraining.
    """
    if sha256_of(h5_path) != current["sha256"]:
        raise ValueError(f"{h5_path} does not match its manifest's sha256")
    trained = {
        k: v for k, v in current.items() if k not in ("threshold", "threshold_rule", "metrics")
    }
    trained["forward_pass_ms_median"] = current["metrics"]["forward_pass_ms_median"]
    return complete_manifest(trained, evaluation, current["training"]["parameters"])


def complete_manifest(
    trained: dict[str, Any], evaluation: dict[str, Any], parameters: dict[str, Any]
) -> dict[str, Any]:
    """Add the threshold and the cross-validated metrics; refuse an evaluation of another procedure."""
    evaluated = {k: v for k, v in evaluation["config"].items() if k != "threads"}
    mine = {k: v for k, v in parameters.items() if k != "threads"}
    if evaluated != mine:
        diff = {k: (evaluated.get(k), v) for k, v in mine.items() if evaluated.get(k) != v}
        raise ValueError(f"the evaluation used another training configuration: {diff}")
    summary = evaluation["summary"]
    data = dict(trained)
    data["threshold"] = round(float(evaluation["shipped_threshold"]), 6)
    data["threshold_rule"] = (
        "cosine distance; same person when distance <= threshold; the accuracy-maximising threshold "
        "on all held-out LFW View 2 pair distances of the cross-validation (all held-out folds pooled)"
    )
    data["metrics"] = {
        "protocol": evaluation["protocol"],
        "note": "cross-validated estimate of this training procedure (models that never saw the test "
        "people); the shipped model itself trained on every LFW person",
        **{
            f"{key}_{stat}": summary[key][stat]
            for key in ("accuracy", "auc", "tar_at_far_1pct", "triplet_accuracy")
            for stat in ("mean", "std")
        },
        "triplets": summary["triplets"],
        "pairs": summary["pairs"],
        "folds": summary["folds"],
        "forward_pass_ms_median": data.pop("forward_pass_ms_median"),
    }
    return data


def _check_reload(
    trained: Trained, reloaded: Any, dataset: Dataset, keys: list[str], config: TrainConfig
) -> None:
    """The saved file must give the distances the evaluation path gives (flip TTA, whitening included)."""
    sample = keys[:8]
    pixels = to_channels(dataset.crops.subset(sample).pixels, config.channels).astype(np.float32)
    vectors = trained.embed(pixels.astype(np.uint8))
    expected = 1.0 - (vectors[0:1] * vectors[1:]).sum(axis=1)
    anchor = np.repeat(pixels[0:1], len(sample) - 1, axis=0)
    got = reloaded.predict([anchor, pixels[1:], pixels[1:]], verbose=0)
    for output in got:
        if not np.allclose(np.ravel(output), expected, atol=RELOAD_TOLERANCE):
            raise RuntimeError(f"reloaded model disagrees: {np.ravel(output)} vs {expected}")
