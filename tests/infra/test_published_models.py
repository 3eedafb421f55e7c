"""A published model version never changes: models/PUBLISHED.json pins the sha256 of each file.

A version that leaves the repository (retired) keeps its pin, so the test tolerates its absence,
but a file under a pinned name must still hold the pinned bytes, and every model in models/ must
be pinned (or listed as retired): a new version is published by adding its pin.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import REPO

MODELS = REPO / "models"
RECORD: dict[str, Any] = json.loads((MODELS / "PUBLISHED.json").read_text(encoding="utf-8"))
PINS: dict[str, dict[str, str]] = RECORD["published"]
RETIRED: dict[str, str] = RECORD["retired"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("release", sorted(PINS))
def test_a_published_version_still_holds_its_pinned_bytes(release: str) -> None:
    for suffix in ("h5", "json"):
        path = MODELS / f"{release}.{suffix}"
        if path.exists():  # a retired version may be gone, never changed
            assert sha256(path) == PINS[release][suffix], (
                f"{path.name} changed after it was published: publish it as a new version"
            )


# Only the versions still in the repository (a retired one keeps its pin but not its files).
@pytest.mark.parametrize("release", sorted(r for r in PINS if (MODELS / f"{r}.json").exists()))
def test_a_pinned_manifest_names_its_own_version_and_h5(release: str) -> None:
    manifest_path = MODELS / f"{release}.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert f"{manifest['name']}-{manifest['version']}" == release
    assert manifest["sha256"] == PINS[release]["h5"]


def test_every_model_in_the_repository_is_pinned_or_retired() -> None:
    present = {path.stem for path in MODELS.glob("*.h5")}
    assert present, "no models found"
    unpinned = present - set(PINS) - set(RETIRED)
    assert not unpinned, f"pin these in models/PUBLISHED.json before publishing: {unpinned}"
    assert not set(PINS) & set(RETIRED)
