"""Nothing derived from an uploaded image is persisted or logged: a unique marker rides inside the
image bytes and the file names of accepted and refused uploads; afterwards it is in no log line and
no file, and the process wrote no more than its log while receiving megabytes of images."""

from __future__ import annotations

import base64
import io
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from PIL import Image

from tests.reliability.conftest import API_KEY, Front, Service, nginx_front
from tests.reliability.corpus import FIELDS, encode, sample_faces
from tests.reliability.held_upload import HeldUpload, wait_drained
from tests.support import needs

pytestmark = [pytest.mark.e2e]

MARKER = f"FACESIM-PRIVACY-{uuid.uuid4().hex}".encode()


def written_bytes(pid: int) -> int:
    """Bytes the process passed to write() and friends (files, pipes, ttys; not socket sends)."""
    return int(psutil.Process(pid).io_counters().write_chars)


def open_files(pid: int) -> list[str]:
    """Where the process's file descriptors point. Read from /proc, not psutil's open_files(),
    which leaves out deleted files: an unlinked temporary file is what a spooled upload would be."""
    needs.linux_proc()
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.append(str(fd.readlink()))
        except OSError:
            continue  # closed while we looked
    return found


def with_comment(jpeg: bytes, text: bytes) -> bytes:
    """A JPEG COM segment carrying `text`, right after the start-of-image marker."""
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]


def with_exif_description(jpeg: bytes, text: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = text.decode()  # ImageDescription
    return encode(Image.open(io.BytesIO(jpeg)), "JPEG", exif=exif, quality=95)


def png_with_text(jpeg: bytes, text: bytes) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text.decode())
    return encode(Image.open(io.BytesIO(jpeg)), "PNG", pnginfo=info)


def padded(data: bytes, size: int) -> bytes:
    """The image with trailing bytes (ignored by decoders) up to `size`: large, marked uploads."""
    filler = (MARKER + b"|") * (size // (len(MARKER) + 1) + 1)
    return data + filler[: max(0, size - len(data))]


def forms() -> list[list[tuple[str, tuple[str, bytes, str]]]]:
    """Accepted and refused multipart uploads, all carrying MARKER in bytes and file names."""
    faces = sample_faces()
    marked = {
        "comment": with_comment(faces["a1"], MARKER),
        "exif": with_exif_description(faces["a2"], MARKER),
        "png": png_with_text(faces["b1"], MARKER),
        "trailing": padded(faces["a3"], 300_000),
    }
    refused = {
        "text": b"not an image " + MARKER,
        "truncated": with_comment(faces["a1"], MARKER)[:400],
        "no-face": png_with_text(encode(Image.new("RGB", (120, 120), "grey"), "JPEG"), MARKER),
    }
    out = []
    for images in (
        (marked["comment"], marked["exif"], marked["png"]),
        (marked["trailing"], marked["comment"], marked["png"]),
        (marked["exif"], refused["text"], marked["comment"]),
        (refused["truncated"], marked["comment"], marked["exif"]),
        (marked["png"], marked["png"], refused["no-face"]),
    ):
        out.append(
            [
                (field, (f"{MARKER.decode()}-{field}.jpg", data, "image/jpeg"))
                for field, data in zip(FIELDS, images, strict=True)
            ]
        )
    out.append(
        [
            (field, (f"../../{MARKER.decode()}/{field}.jpg", data, "image/jpeg"))
            for field, data in zip(FIELDS, (marked["trailing"],) * 3, strict=True)
        ]
    )
    return out


def json_bodies() -> list[dict[str, str]]:
    faces = sample_faces()
    marked = with_comment(faces["a1"], MARKER)
    b64 = base64.b64encode(marked).decode()
    return [
        {"anchor": b64, "img1": "data:image/jpeg;base64," + b64, "img2": b64},
        {"anchor": b64, "img1": base64.b64encode(b"text " + MARKER).decode(), "img2": b64},
    ]


def traces(marker: bytes) -> list[bytes]:
    """The marker as logs could carry it: raw, hex, and base64 at each of the three alignments."""
    found = [marker, marker.hex().encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + marker)
        found.append(encoded[4 : len(encoded) - 4])  # the part that depends on the marker alone
    return found


def files_under(directory: Path) -> dict[Path, int]:
    return {p: p.stat().st_size for p in directory.rglob("*") if p.is_file()}


def assert_no_trace(where: str, data: bytes) -> None:
    for trace in traces(MARKER):
        assert trace not in data, f"{where} contains a trace of an uploaded image: {trace[:40]!r}"


def wait_for_log(service: Service, request_ids: list[str]) -> None:
    """The access log line is written after the response is sent; wait until all are there."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = service.log_text()
        if all(f'"request_id": "{rid}"' in text for rid in request_ids):
            return
        time.sleep(0.05)
    raise AssertionError("the service did not log every request")


@pytest.fixture(scope="module")
def front(shared_service: Service) -> Iterator[Front]:
    with nginx_front(shared_service.port) as running:
        yield running


def test_marked_uploads_leave_no_trace_in_logs_files_or_writes(shared_service: Service) -> None:
    workdir = shared_service.log.parent
    before = files_under(workdir)
    log_before = shared_service.log.stat().st_size
    written_before = written_bytes(shared_service.pid)
    sent, ids, statuses = 0, [], []
    with shared_service.client() as client:
        for i, files in enumerate(forms()):
            ids.append(f"privacy-form-{i}")
            sent += sum(len(part[1][1]) for part in files)
            response = client.post("/predict", files=files, headers={"X-Request-ID": ids[-1]})
            statuses.append(response.status_code)
            assert_no_trace("a response", response.content)
        for i, doc in enumerate(json_bodies()):
            ids.append(f"privacy-json-{i}")
            response = client.post("/predict", json=doc, headers={"X-Request-ID": ids[-1]})
            statuses.append(response.status_code)
            assert_no_trace("a response", response.content)
    assert statuses == [200, 200, 415, 400, 422, 200, 200, 415]
    wait_for_log(shared_service, ids)

    assert_no_trace("the service log", shared_service.log.read_bytes())
    after = files_under(workdir)
    new = {p for p in after if p not in before and p != shared_service.log}
    assert not new, f"files appeared while serving: {sorted(new)}"
    # TensorFlow's autograph leaves its generated code in TMPDIR at start-up; nothing else.
    tmp_files = files_under(shared_service.tmpdir)
    assert all(p.name.startswith("__autograph_generated_file") for p in tmp_files), tmp_files
    for path in after:
        if path != shared_service.log:
            assert_no_trace(str(path), path.read_bytes())
    # Everything the process wrote (files, pipes, stdout) beyond its own log lines: a few bytes of
    # thread wake-ups per request, where one spooled upload would be hundreds of kilobytes.
    other_writes = (written_bytes(shared_service.pid) - written_before) - (
        shared_service.log.stat().st_size - log_before
    )
    print(f"privacy: {sent} image bytes received; {other_writes} bytes written besides the log")
    assert other_writes < 64 * 1024 < sent / 20


def test_body_in_flight_is_held_in_memory_not_spooled(shared_service: Service) -> None:
    """A 3 MB upload paused half-way: the process has no file open but its log, then answers 200."""
    faces = sample_faces()
    upload = HeldUpload(
        shared_service.base,
        [padded(faces[name], 1000_000) for name in ("a1", "a2", "b1")],
        headers={"X-API-Key": API_KEY},
    )
    upload.start()
    try:
        assert upload.half_sent.wait(timeout=30)
        assert wait_drained(shared_service.port), "the first half never reached the service"
        others = [
            f for f in open_files(shared_service.pid)
            if f.startswith("/") and not f.startswith("/dev/") and f != str(shared_service.log)
        ]  # fmt: skip
        assert not others, f"files open while a body is being received: {others}"
    finally:
        upload.release()
        upload.join(timeout=60)
    assert upload.response is not None and upload.response.status_code == 200, upload.error


# nginx opens its body temp files already unlinked, so no directory listing shows them; it logs
# each one at "warn", the level nginx/nginx.conf.template keeps.
SPOOLED = "a client request body is buffered to a temporary file"


def test_nginx_logs_no_trace_and_keeps_small_bodies_in_memory(front: Front) -> None:
    faces = sample_faces()
    files = [
        (field, (f"{MARKER.decode()}.jpg", with_comment(faces[name], MARKER), "image/jpeg"))
        for field, name in zip(FIELDS, ("a1", "a2", "b1"), strict=True)
    ]
    with front.client(headers={"X-API-Key": API_KEY}) as client:
        response = client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    assert_no_trace("nginx's access log", Path(front.config.access_log).read_bytes())
    errors = Path(front.config.error_log).read_bytes()
    assert_no_trace("nginx's error log", errors)
    assert SPOOLED.encode() not in errors


def test_nginx_keeps_large_bodies_off_disk(front: Front) -> None:
    """Three 1 MB photos (a phone's are bigger) through nginx: did any of it go to a file?"""
    faces = sample_faces()
    files = [
        (field, (f"{field}.jpg", padded(faces[name], 1000_000), "image/jpeg"))
        for field, name in zip(FIELDS, ("a1", "a2", "b1"), strict=True)
    ]
    with front.client(headers={"X-API-Key": API_KEY}) as client:
        assert client.post("/predict", files=files).status_code == 200
    assert SPOOLED not in Path(front.config.error_log).read_text()
