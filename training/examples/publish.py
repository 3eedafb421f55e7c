"""Save a trained example: the .h5, its manifest, its card and its samples; prove the file reloads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.checksums import sha256_of
from service.paths import REPO_ROOT as REPO
from training.examples import card, keras_models
from training.examples.records import VERSION, Probe, Trained

# The reloaded file may differ from the in-process model only by float rounding.
RELOAD_TOLERANCE = 1e-5
# Layers Keras ships (keras.src.layers.*) and the functional Model: nothing custom, no Lambda.
STANDARD_PREFIXES = ("keras.src.layers.", "keras.src.models.")


@dataclass(frozen=True)
class Published:
    """Where a model went and its headline figures (the script's summary)."""

    name: str
    model: Path
    sha256: str
    model_bytes: int
    accuracy: float
    seconds: float
    cpu_seconds: float


def fresh_process_outputs(model_path: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    """Load the file in a new Python process, as the service would, and run the inputs."""
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "inputs.npz"
        np.savez(archive, **inputs)
        env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run(
            [sys.executable, "-m", "training.examples.reload_check", str(model_path), str(archive)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{model_path.name} does not load in a fresh process:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check_reload(model_path: Path, probe: Probe) -> None:
    """The saved file loads without custom objects, has only standard layers, answers the same."""
    result = fresh_process_outputs(model_path, probe.inputs)
    odd = [name for name in result["layers"] if not name.startswith(STANDARD_PREFIXES)]
    if odd or any(name.endswith(".Lambda") for name in result["layers"]):
        raise RuntimeError(f"{model_path.name} has non-standard layers: {odd}")
    got = np.asarray(result["probabilities"], np.float32)
    if not np.allclose(got, probe.probabilities, atol=RELOAD_TOLERANCE):
        raise RuntimeError(f"{model_path.name} reloads to other outputs than it was saved with")


def publish(
    trained: Trained,
    out_dir: Path,
    samples_dir: Path,
    *,
    commit: str,
    log: Any = print,
) -> Published:
    """Write models/<name>-1.0.0.{h5,json,md} and the samples; the manifest carries no time or host."""
    stem = f"{trained.name}-{VERSION}"
    model_path = out_dir / f"{stem}.h5"
    keras_models.save(trained.model, model_path)
    check_reload(model_path, trained.probe)
    digest, size = sha256_of(model_path), model_path.stat().st_size
    head = {k: trained.manifest[k] for k in ("kind", "name", "version")}
    manifest = {**head, "sha256": digest, "model_bytes": size, **trained.manifest}
    (out_dir / f"{stem}.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out_dir / f"{stem}.md").write_text(
        card.render(trained, manifest, commit=commit), encoding="utf-8"
    )
    samples_dir.mkdir(parents=True, exist_ok=True)
    for name, data in trained.samples.items():
        (samples_dir / name).write_bytes(data)
    log(f"{trained.name}: saved {model_path.name} ({size} bytes, sha256 {digest[:12]}...)")
    return Published(
        name=trained.name,
        model=model_path,
        sha256=digest,
        model_bytes=size,
        accuracy=trained.evaluation.accuracy,
        seconds=trained.seconds,
        cpu_seconds=trained.cpu_seconds,
    )
