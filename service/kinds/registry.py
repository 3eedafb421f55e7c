"""Which kind serves this deployment: MODEL_KIND, or the manifest beside a local model."""

from __future__ import annotations

import contextlib
from pathlib import Path

from service.config import Settings
from service.errors import ModelError
from service.kinds.base import Kind
from service.kinds.face.kind import FaceKind
from service.kinds.image.kind import ImageKind
from service.kinds.tabular.kind import TabularKind
from service.manifest import DEFAULT_KIND, KindName, manifest_path_for, read_manifest

KINDS: dict[KindName, type[Kind]] = {
    "face-similarity": FaceKind,
    "image-classification": ImageKind,
    "tabular-classification": TabularKind,
}


def chosen_kind(settings: Settings) -> Kind:
    """MODEL_KIND, else the kind in the manifest beside a local model, else face-similarity.

    The routes are mounted before the model is fetched (so /healthz answers during a download): a
    model in S3 names its kind in MODEL_KIND (the CDK stack sets it from the manifest it deploys),
    and a manifest of another kind is refused at load with both names.
    """
    name: KindName = DEFAULT_KIND
    if settings.model_kind is not None:
        name = settings.model_kind
    elif not settings.model_uri.startswith("s3://"):
        path = manifest_path_for(Path(settings.model_uri).expanduser())
        # A missing or broken manifest is reported, as fatal, by the load itself.
        with contextlib.suppress(ModelError):
            name = read_manifest(path).kind
    return KINDS[name]()
