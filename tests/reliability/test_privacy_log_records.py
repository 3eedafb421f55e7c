"""No log record, at any level, carries any part of an uploaded image: every record emitted while
accepted and refused uploads are served is captured (DEBUG and up, every logger) and searched for
every 16-byte window of every upload, raw, as repr, hex or base64, and for any bytes value."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.logs import JsonFormatter
from tests.conftest import ClientFactory
from tests.reliability.conftest import Everything, capturing
from tests.reliability.test_privacy import forms, json_bodies

WINDOW = 16  # bytes: far longer than any chance match between an image and a log line
BYTES_TYPES = (bytes, bytearray, memoryview)


@pytest.fixture
def captured() -> Iterator[Everything]:
    """Every record that passes the service's own logging set-up at LOG_LEVEL=debug."""
    with capturing(Everything()) as handler:
        yield handler


def encodings(data: bytes) -> list[tuple[str, str, int]]:
    """(name, text, window length in characters) for each way a log could carry `data`."""
    out = [
        ("raw", data.decode("latin-1"), WINDOW),
        ("repr", repr(data)[2:-1], WINDOW * 2),
        ("hex", data.hex(), WINDOW * 2),
        ("HEX", data.hex().upper(), WINDOW * 2),
    ]
    for shift in range(3):  # base64 depends on where the window starts modulo 3
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            text = encode(data[shift:]).decode()
            out.append((f"{name}+{shift}", text[:-4], WINDOW * 4 // 3))
    return out


def windows(text: str, length: int) -> set[str]:
    return {text[i : i + length] for i in range(max(0, len(text) - length + 1))}


def record_text(record: logging.LogRecord, formatter: JsonFormatter) -> str:
    """Everything a handler could write for the record: message, JSON line, every attribute."""
    return "\n".join([record.getMessage(), formatter.format(record), repr(vars(record))])


def bytes_values(record: logging.LogRecord) -> list[str]:
    values: list[tuple[str, Any]] = list(vars(record).items())
    args = record.args if isinstance(record.args, tuple) else (record.args or {}).values()
    values += [("args", a) for a in args]
    return [name for name, value in values if isinstance(value, BYTES_TYPES)]


def uploads_of(files: list[tuple[str, tuple[str, bytes, str]]]) -> list[bytes]:
    return [part[1] for _, part in files]


@pytest.fixture(scope="module")
def requests() -> tuple[list[Any], list[dict[str, str]]]:
    """The privacy tests' marked uploads, built before any record is captured."""
    return forms(), json_bodies()


def test_no_record_carries_any_window_of_an_upload(
    make_client: ClientFactory,
    tiny_model: Path,
    requests: tuple[list[Any], list[dict[str, str]]],
    captured: Everything,
) -> None:
    multipart, documents = requests
    sent: list[bytes] = []
    with make_client(model_uri=str(tiny_model)) as client:
        client: TestClient  # type: ignore[no-redef]
        statuses = []
        for files in multipart:
            sent += uploads_of(files)
            statuses.append(client.post("/predict", files=files).status_code)
        for doc in documents:
            sent += [value.encode() for value in doc.values()]
            sent += [base64.b64decode(v.split(",", 1)[-1] + "==") for v in doc.values()]
            statuses.append(client.post("/predict", json=doc).status_code)
    assert statuses == [200, 200, 415, 400, 422, 200, 200, 415]
    assert len(captured.records) > len(statuses), "the requests were logged"

    formatter = JsonFormatter()
    for record in captured.records:
        assert not bytes_values(record), f"{record.name}: bytes in {bytes_values(record)}"
    logged = "\n".join(record_text(r, formatter) for r in captured.records)
    for name, text, length in {e for data in sent for e in encodings(data)}:
        leaked = windows(text, length) & windows(logged, length)
        assert not leaked, f"a log record holds upload bytes ({name}): {sorted(leaked)[0]!r}"
