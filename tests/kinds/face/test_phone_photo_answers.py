"""Phone photos (12 MP, EXIF-turned, faces boxed at 11-16 % of the short side) get the answers of
the same faces sent as small LFW photos: the same winner, distances within 0.02, each face where
the upright picture shows it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bench.photos import FIELDS, SCENES, Triplet, load_triplet, phone_triplet, upright_size
from service.config import DEFAULT_MODEL, Settings
from service.images import ImageLimits
from service.inference import BatchFunction
from service.kinds.face.model import FaceModel, open_local
from service.kinds.face.prepare import Prepared, prepare_one
from service.paths import LFW_DIR
from tests.support import needs

pytestmark = [pytest.mark.model, pytest.mark.slow]
LIMITS = ImageLimits(Settings().max_upload_bytes, Settings().max_image_pixels)


@pytest.fixture(scope="module")
def model() -> Iterator[tuple[FaceModel, BatchFunction]]:
    """The bundled model, opened as the tools open it."""
    face, distances = open_local(DEFAULT_MODEL, Settings())
    yield face, distances
    face.cropper.close()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Triplet, Triplet]:
    """The bench's small LFW photos and their phone photos."""
    needs.lfw(LFW_DIR)
    small = load_triplet()
    return small, phone_triplet(small, tmp_path_factory.mktemp("phone"))


def answer(
    triplet: Triplet, model: tuple[FaceModel, BatchFunction]
) -> tuple[dict[str, Prepared], list[float]]:
    """Each photo prepared as /predict prepares it, and the two distances."""
    face, distances = model
    prepared = {n: prepare_one(triplet.images[n], n, face.cropper, LIMITS) for n in FIELDS}
    chips = [prepared[n].crop.pixels[np.newaxis].astype(np.float32) for n in FIELDS]
    return prepared, [float(d) for d in distances(chips)[0]]


def test_phone_photos_get_the_small_photos_answers(
    model: tuple[FaceModel, BatchFunction], photos: tuple[Triplet, Triplet]
) -> None:
    small, phone = photos
    _, expected = answer(small, model)
    _, got = answer(phone, model)
    assert np.argmin(got) == np.argmin(expected), (got, expected)
    assert got == pytest.approx(expected, abs=0.02)


def test_the_face_is_found_where_the_upright_photo_shows_it(
    model: tuple[FaceModel, BatchFunction], photos: tuple[Triplet, Triplet]
) -> None:
    """EXIF orientation honoured: boxes in the upright picture, where the recipe put each face."""
    prepared, _ = answer(photos[1], model)
    for name in FIELDS:
        scene, done = SCENES[name], prepared[name]
        width, height = upright_size(scene)
        assert (done.width, done.height) == (width, height)
        box, scale = done.crop.face, done.scale
        centre = ((box.x + box.w / 2) * scale / width, (box.y + box.h / 2) * scale / height)
        assert centre == pytest.approx(scene.centre, abs=0.03), name
        assert 0.10 <= box.w * scale / min(width, height) <= 0.25, name
