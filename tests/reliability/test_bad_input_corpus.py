"""The generated bad-input corpus through the real server: the documented answer for each case,
memory bounded, and the service still ready afterwards."""

from __future__ import annotations

import httpx
import pytest

from bench.procstats import snapshot
from tests.reliability.conftest import Service
from tests.reliability.corpus import Case, all_cases, sample_faces

pytestmark = [pytest.mark.e2e]

CASES = {case.name: case for case in all_cases(sample_faces())}


def send(client: httpx.Client, case: Case) -> httpx.Response:
    """POST the case; a streamed body is built afresh (it can be sent only once)."""
    request = {k: v() if callable(v) else v for k, v in case.request.items()}
    return client.post(case.path, **request)


def assert_documented(response: httpx.Response, case: Case) -> None:
    """The status, and for errors the code and the field, that docs/API.md documents."""
    assert response.status_code == case.status, f"{case.name}: {response.text[:300]}"
    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    if case.status == 200:
        assert set(body["faces"]) == {"anchor", "img1", "img2"}
        return
    assert set(body) == {"error"} and set(body["error"]) == {"code", "field", "message"}
    assert (body["error"]["code"], body["error"]["field"]) == (case.code, case.field), case.name
    assert body["error"]["message"]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_the_documented_answer(shared_service: Service, name: str) -> None:
    with shared_service.client() as client:
        assert_documented(send(client, CASES[name]), CASES[name])


def test_exif_rotation_is_reported_in_upright_pixels(shared_service: Service) -> None:
    case = CASES["exif-rotated-jpeg"]
    with shared_service.client() as client:
        face = send(client, case).json()["faces"]["img2"]
    assert (face["image_width"], face["image_height"]) == (200, 260)  # stored 260x200, sideways


def test_corpus_leaves_memory_bounded_and_the_service_ready(shared_service: Service) -> None:
    """Three passes over the corpus: no pixel bomb is decoded, nothing accumulates."""
    peak_before = snapshot(shared_service.pid).hwm_mb
    with shared_service.client() as client:
        for case in CASES.values():  # warm-up pass: allocator pools and caches fill here
            send(client, case)
        after_warmup = snapshot(shared_service.pid).rss_mb
        for _ in range(2):
            for case in CASES.values():
                assert send(client, case).status_code == case.status, case.name
        after = snapshot(shared_service.pid).rss_mb
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
    peak_growth = snapshot(shared_service.pid).hwm_mb - peak_before
    print(
        f"corpus x3: RSS after warm-up {after_warmup:.0f} MiB, after {after:.0f} MiB; "
        f"peak grew {peak_growth:.0f} MiB"
    )
    assert after < after_warmup * 1.10, f"RSS grew from {after_warmup:.0f} to {after:.0f} MiB"
    # One decoded 65535x65535 RGB bomb alone would be 12 GiB; 12000x12000 would be 412 MiB.
    assert peak_growth < 200, f"peak RSS grew {peak_growth:.0f} MiB during the corpus"
