"""Build the project's two images from their own Dockerfiles, unchanged, on the stand-in bases.

The only differences from `docker build` in CI: the FROM images are the local stand-ins
(rehearse/bases.py, tagged with the same names; --pull=never), builds use the host's network, and
the build stages (not the final one) get the host's pip configuration mounted read-only
(rehearse/pipconf.py). The final stage is built without those mounts, reusing the cached build
stages, so nothing of the host ends up in the image that would ship.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rehearse.bases import BaseImage, ensure_base
from rehearse.dockerfile import read_stages
from rehearse.engine import REPO_ROOT, Engine, labels_of
from rehearse.pipconf import PipMounts

# --format docker: the OCI image format has no HEALTHCHECK, and ECR/ECS run what we build.
BUILD_FLAGS = ("--pull=never", "--network=host", "--format=docker", "--layers")
IMAGE_LABEL = "facesim.rehearse.image"


@dataclass(frozen=True)
class ImageSource:
    """Where a task-definition container's image comes from."""

    container: str
    dockerfile: Path
    context: Path
    # Bytes the image may grow to before someone has to say why (docs/DEPLOY.md, image hygiene).
    size_budget: int | None = None

    @property
    def tag(self) -> str:
        return f"localhost/facesim-rehearse/{self.container}:latest"


@dataclass(frozen=True)
class BuiltImage:
    """An image the rehearsal built, how long it took, and the bases it needed."""

    source: ImageSource
    image_id: str
    seconds: float
    bases: tuple[BaseImage, ...]


def build_image(engine: Engine, source: ImageSource, *, pip: PipMounts, logs: Path) -> BuiltImage:
    """Bases first (cached), then each named build stage with pip's mounts, then the final stage."""
    stages = read_stages(source.dockerfile)
    names = {stage.name for stage in stages if stage.name}
    bases = tuple(
        ensure_base(engine, base, logs=logs)
        for base in dict.fromkeys(stage.base for stage in stages)
        if base not in names
    )
    started = time.monotonic()
    conf = engine.root / "pip.conf"
    conf.write_text(pip.conf_text)
    common = [
        *BUILD_FLAGS,
        *labels_of({IMAGE_LABEL: source.container}),
        "-f",
        str(source.dockerfile),
    ]
    for stage in stages[:-1]:
        if stage.name is None:
            raise ValueError(f"{source.dockerfile}: name every build stage (FROM ... AS name)")
        engine.stream(
            [
                "build",
                *common,
                *pip.volume_args(conf),
                "--target",
                stage.name,
                "-t",
                f"localhost/facesim-rehearse/{source.container}-{stage.name}:latest",
                str(source.context),
            ],
            log=logs / f"build-{source.container}-{stage.name}.log",
            timeout=1800,
        )
    engine.stream(
        ["build", *common, "-t", source.tag, str(source.context)],
        log=logs / f"build-{source.container}.log",
        timeout=1800,
    )
    image_id = engine.podman("image", "inspect", "--format", "{{.Id}}", source.tag).stdout.strip()
    return BuiltImage(source, image_id, time.monotonic() - started, bases)


def inspect_image(engine: Engine, reference: str) -> dict[str, Any]:
    """`podman image inspect` of one image, as a dict."""
    (found,) = json.loads(engine.podman("image", "inspect", reference).stdout)
    return dict(found)


def relative_to_repo(path: Path) -> str:
    """A path as the report shows it."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
