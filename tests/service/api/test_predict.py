"""POST /predict and /verify through the app with a tiny real Keras model."""

from __future__ import annotations

import base64
import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

FIELDS = ("anchor", "img1", "img2")


def multipart(faces: dict[str, bytes], **override: bytes) -> dict[str, tuple[str, bytes, str]]:
    chosen = {"anchor": faces["a1"], "img1": faces["a2"], "img2": faces["b1"], **override}
    return {k: (f"{k}.jpg", v, "image/jpeg") for k, v in chosen.items()}


def assert_error(response, status: int, code: str, field: str | None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    err = response.json()["error"]
    assert err["code"] == code and err["field"] == field and err["message"]


def test_predict_multipart_returns_the_contract(
    client: TestClient, faces: dict[str, bytes]
) -> None:
    response = client.post("/predict", files=multipart(faces))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["most_similar"] in ("img1", "img2")
    d1, d2 = body["scores"]["img1"]["distance"], body["scores"]["img2"]["distance"]
    assert body["most_similar"] == ("img1" if d1 <= d2 else "img2")
    for key in ("img1", "img2"):
        score = body["scores"][key]
        assert score["same_person"] == (score["distance"] <= body["threshold"])
    assert body["threshold"] == 0.5
    assert body["model"] == {"name": "tiny", "version": "0.0.1"}
    assert set(body["faces"]) == set(FIELDS)
    assert body["faces"]["anchor"]["box"]["width"] > 40
    assert response.headers["x-request-id"] == body["request_id"]


def test_predict_json_base64_and_data_urls_match_multipart(
    client: TestClient, faces: dict[str, bytes]
) -> None:
    via_form = client.post("/predict", files=multipart(faces)).json()
    doc = {
        "anchor": base64.b64encode(faces["a1"]).decode(),
        "img1": "data:image/jpeg;base64," + base64.b64encode(faces["a2"]).decode(),
        "img2": base64.urlsafe_b64encode(faces["b1"]).decode().rstrip("="),
    }
    via_json = client.post("/predict", json=doc).json()
    assert via_json["scores"] == via_form["scores"]


def test_return_crops_gives_png_data_urls(client: TestClient, faces: dict[str, bytes]) -> None:
    body = client.post("/predict?return_crops=true", files=multipart(faces)).json()
    png = body["faces"]["img1"]["crop_png"]
    assert png.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1])))
    assert img.size == (32, 32)


def test_same_image_twice_has_distance_zero(client: TestClient, faces: dict[str, bytes]) -> None:
    body = client.post("/predict", files=multipart(faces, img1=faces["a1"])).json()
    assert body["scores"]["img1"]["distance"] == pytest.approx(0.0, abs=1e-5)
    assert body["most_similar"] == "img1"


def test_verify(client: TestClient, faces: dict[str, bytes]) -> None:
    files = {
        "img1": ("a.jpg", faces["a1"], "image/jpeg"),
        "img2": ("b.jpg", faces["a1"], "image/jpeg"),
    }
    body = client.post("/verify", files=files).json()
    assert body["distance"] == pytest.approx(0.0, abs=1e-5) and body["same_person"] is True
    assert set(body["faces"]) == {"img1", "img2"}


def test_predict_rejects_text_file(client: TestClient, faces: dict[str, bytes]) -> None:
    response = client.post("/predict", files=multipart(faces, img2=b"just some text"))
    assert_error(response, 415, "unsupported_media_type", "img2")


def test_predict_reports_no_face(client: TestClient, faces: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), (128, 128, 128)).save(buf, "PNG")
    assert_error(
        client.post("/predict", files=multipart(faces, img1=buf.getvalue())), 422, "no_face", "img1"
    )


def test_missing_field_is_named(client: TestClient, faces: dict[str, bytes]) -> None:
    files = multipart(faces)
    del files["img2"]
    assert_error(client.post("/predict", files=files), 422, "invalid_request", "img2")


def test_unknown_field_is_named(client: TestClient, faces: dict[str, bytes]) -> None:
    files = multipart(faces)
    files["image3"] = ("x.jpg", faces["c1"], "image/jpeg")
    assert_error(client.post("/predict", files=files), 422, "invalid_request", "image3")


def test_duplicated_field_is_named(client: TestClient, faces: dict[str, bytes]) -> None:
    files = [(k, (f"{k}.jpg", v[1], "image/jpeg")) for k, v in multipart(faces).items()]
    files.append(("img1", ("again.jpg", faces["c1"], "image/jpeg")))
    assert_error(client.post("/predict", files=files), 422, "invalid_request", "img1")


def test_invalid_base64_is_named(client: TestClient, faces: dict[str, bytes]) -> None:
    doc = {k: base64.b64encode(faces["a1"]).decode() for k in FIELDS}
    doc["img1"] = "!!!not base64!!!"
    assert_error(client.post("/predict", json=doc), 400, "invalid_image", "img1")


def test_data_url_of_non_image_type(client: TestClient, faces: dict[str, bytes]) -> None:
    doc = {k: base64.b64encode(faces["a1"]).decode() for k in FIELDS}
    doc["anchor"] = "data:text/plain;base64,aGVsbG8="
    assert_error(client.post("/predict", json=doc), 415, "unsupported_media_type", "anchor")


def test_json_value_of_wrong_type(client: TestClient) -> None:
    assert_error(
        client.post("/predict", json={"anchor": 1, "img1": "a", "img2": "b"}),
        422,
        "invalid_request",
        "anchor",
    )


def test_json_that_is_not_an_object(client: TestClient) -> None:
    assert_error(client.post("/predict", json=[1, 2]), 422, "invalid_request", None)


def test_unknown_content_type(client: TestClient) -> None:
    response = client.post("/predict", content=b"abc", headers={"content-type": "text/plain"})
    assert_error(response, 415, "unsupported_media_type", None)


def test_missing_content_type(client: TestClient) -> None:
    assert_error(client.post("/predict", content=b"abc"), 415, "unsupported_media_type", None)


def test_body_over_limit_is_413(make_client, tiny_model, faces: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    with make_client(model_uri=str(tiny_model), max_request_bytes=10_000) as c:
        assert_error(c.post("/predict", files=multipart(faces)), 413, "too_large", None)


def test_image_over_byte_limit_names_the_field(
    make_client, tiny_model, faces: dict[str, bytes]
) -> None:  # type: ignore[no-untyped-def]
    with make_client(model_uri=str(tiny_model), max_upload_bytes=9500) as c:
        response = c.post("/predict", files=multipart(faces, img2=faces["c1"]))
        assert_error(response, 413, "too_large", "img2")


def test_threshold_override(make_client, tiny_model, faces: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    with make_client(model_uri=str(tiny_model), distance_threshold=0.0) as c:
        body = c.post("/predict", files=multipart(faces)).json()
        assert body["threshold"] == 0.0
        assert c.get("/v1/model").json()["threshold_source"] == "DISTANCE_THRESHOLD"


def test_api_key_required_when_configured(make_client, tiny_model, faces: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    with make_client(model_uri=str(tiny_model), api_keys="k1,k2") as c:
        assert_error(c.post("/predict", files=multipart(faces)), 401, "unauthorized", "X-API-Key")
        wrong = c.post("/predict", files=multipart(faces), headers={"X-API-Key": "nope"})
        assert_error(wrong, 401, "unauthorized", "X-API-Key")
        ok = c.post("/predict", files=multipart(faces), headers={"X-API-Key": "k2"})
        assert ok.status_code == 200
        assert c.get("/healthz").status_code == 200


def test_concurrent_requests_are_batched_and_all_answered(
    client: TestClient, faces: dict[str, bytes]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda _: client.post("/predict", files=multipart(faces)).status_code, range(16)
            )
        )
    assert codes == [200] * 16
