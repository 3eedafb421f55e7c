"""A face model opened for use: its manifest, its recipe, its threshold, and its distances.

The service's FaceKind and the tools (evaluation, bench) open a model the same way, here; nothing
in this module needs the web framework.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from service.config import Settings
from service.errors import ModelError
from service.inference import Array, BatchFunction
from service.kinds.face.crop import FaceCropper, cropper_for
from service.kinds.face.manifest import FaceManifest
from service.manifest import ModelManifest, manifest_path_for, read_manifest, validate_manifest
from service.model import Signature


@dataclass(frozen=True)
class FaceModel:
    """The face model being served: manifest, recipe and the threshold in force."""

    manifest: FaceManifest
    cropper: FaceCropper
    threshold: float
    threshold_source: Literal["manifest", "DISTANCE_THRESHOLD"]

    @property
    def slope(self) -> float | None:
        """The calibration's slope (its 0.5 point is the threshold in force); None without one."""
        calibration = self.manifest.calibration
        return calibration.slope if calibration is not None else None


def open_face_model(manifest: ModelManifest, settings: Settings, *, isolate_cnn: bool) -> FaceModel:
    """The face fields validated, the recipe's files verified, the threshold in force chosen."""
    face = validate_manifest(manifest, FaceManifest, manifest.name)
    override = settings.distance_threshold
    return FaceModel(
        manifest=face,
        cropper=cropper_for(face.crop, settings.face_assets_dir, isolate_cnn=isolate_cnn),
        threshold=override if override is not None else face.threshold,
        threshold_source="DISTANCE_THRESHOLD" if override is not None else "manifest",
    )


def siamese_distances(
    signature: Signature,
    predict: Callable[[Sequence[Array]], list[NDArray[np.float64]]],
    input_shape: tuple[int, int, int],
) -> BatchFunction:
    """Refuse a model that is not three inputs of input_shape to two distances; its batch function.

    The batch function takes [anchors, img1s, img2s] and returns (batch, 2) distances.
    """
    shapes = [t.shape for t in signature.inputs]
    if len(shapes) != 3:
        raise ModelError(
            f"model has {len(shapes)} inputs; the face-similarity contract is 3 "
            "(anchor, img1, img2)"
        )
    if any(shape != tuple(input_shape) for shape in shapes):
        raise ModelError(
            f"model inputs {[list(s) for s in shapes]} differ from the manifest's "
            f"input_shape {list(input_shape)}"
        )
    out_dims = [int(np.prod([d or 1 for d in t.shape])) for t in signature.outputs]
    if out_dims not in ([1, 1], [2]):
        raise ModelError(
            f"model outputs {[list(t.shape) for t in signature.outputs]}; the "
            "face-similarity contract is two (batch, 1) distances or one (batch, 2)"
        )

    def distances(inputs: list[Array]) -> NDArray[np.float64]:
        return np.concatenate(predict(inputs), axis=1)

    return distances


def open_local(model_path: Path, settings: Settings) -> tuple[FaceModel, BatchFunction]:
    """A face model opened in this process as the service opens it, dlib's CNN inline (tools)."""
    from service import model as model_module  # TensorFlow only when a tool asks for a model

    face = open_face_model(
        read_manifest(manifest_path_for(model_path)), settings, isolate_cnn=False
    )
    model_module.configure_threads(settings.tf_threads, settings.tf_inter_threads)
    keras_model = model_module.load_keras(model_path)
    distances = siamese_distances(
        keras_model.signature, keras_model.predict, face.manifest.input_shape
    )
    return face, distances
