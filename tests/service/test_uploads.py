"""In-memory multipart and JSON parsing."""

from __future__ import annotations

import base64
import json
import re

import pytest

from service.errors import InvalidImage, InvalidRequest, UnsupportedMediaType
from service.uploads import decode_base64_image, parse_json, parse_multipart

BOUNDARY = b"xyz"
NAMES = ("anchor", "img1", "img2")


def form(*parts: tuple[str, bytes]) -> bytes:
    out = b""
    for name, data in parts:
        out += (
            b'--xyz\r\nContent-Disposition: form-data; name="'
            + name.encode()
            + b'"; filename="f"\r\n'
        )
        out += b"Content-Type: image/jpeg\r\n\r\n" + data + b"\r\n"
    return out + b"--xyz--\r\n"


def test_multipart_keeps_bytes_exactly() -> None:
    payload = bytes(range(256)) * 10 + b"\r\n--xy not a boundary"
    assert parse_multipart(form(("anchor", payload)), BOUNDARY) == {"anchor": [payload]}


def test_multipart_duplicates_are_kept_for_the_caller_to_refuse() -> None:
    assert len(parse_multipart(form(("img1", b"a"), ("img1", b"b")), BOUNDARY)["img1"]) == 2


def test_multipart_garbage_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        parse_multipart(b"--xyz\r\nno headers end", BOUNDARY)


def test_json_base64_variants() -> None:
    raw = b"\xff\xd8\xff\xe0 some jpeg-ish bytes \xfe\xfb"
    std = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert decode_base64_image(std, "a") == raw
    assert decode_base64_image(url, "a") == raw
    assert decode_base64_image("data:image/png;base64," + std, "a") == raw
    assert decode_base64_image(std[:20] + "\n" + std[20:], "a") == raw


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("data:text/html;base64,PGI+", UnsupportedMediaType),
        ("data:image/png,rawtext", InvalidImage),
        ("data:nonsense", InvalidImage),
        ("%%%", InvalidImage),
        ("", InvalidImage),
    ],
)
def test_bad_base64_values_name_the_field(value: str, error: type[Exception]) -> None:
    with pytest.raises(error) as err:
        decode_base64_image(value, "img2")
    assert err.value.field == "img2"  # type: ignore[attr-defined]


def test_json_must_be_an_object_of_strings() -> None:
    with pytest.raises(InvalidRequest):
        parse_json(b"not json", NAMES)
    with pytest.raises(InvalidRequest) as err:
        parse_json(b'{"anchor": null}', NAMES)
    assert err.value.field == "anchor"


def test_json_unknown_field_is_named_before_any_value_is_decoded() -> None:
    good = base64.b64encode(b"image bytes").decode()
    body = json.dumps({"anchor": good, "threshold": "0.5"}).encode()
    with pytest.raises(InvalidRequest) as err:
        parse_json(body, NAMES)
    assert err.value.field == "threshold"
    assert "unexpected field 'threshold'" in err.value.message


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, "got null"),
        (3, "got a number"),
        (0.5, "got a number"),
        (True, "got true"),
        ([], "got a list"),
        ({"a": 1}, "got an object"),
    ],
)
def test_json_non_string_values_are_described_in_json_words(value: object, said: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_json(json.dumps({"img1": value}).encode(), NAMES)
    assert err.value.field == "img1"
    assert err.value.message == f"field 'img1': expected a base64 string or data: URL, {said}"
    assert not re.search(r"\b(NoneType|int|float|bool|dict|str)\b", err.value.message)


@pytest.mark.parametrize(
    "url", ["http://example.com/face.jpg", "https://example.com/a.png", " HTTPS://x/y", "s3://b/k"]
)
def test_json_url_is_refused_saying_urls_are_not_fetched(url: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        decode_base64_image(url, "anchor")
    assert err.value.field == "anchor"
    assert "URLs are not fetched" in err.value.message
    assert "base64" in err.value.message
