"""Model fetch and publish against moto's S3 server over real HTTP, as boto3 reaches AWS."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from devstack.servers import S3_CREDENTIALS as S3_ENV
from devstack.servers import moto_server, service_env, service_process
from service.checksums import sha256_of
from service.errors import ModelError
from service.model_store import S3Options, fetch_model, publish_model
from service.paths import REPO_ROOT as REPO

pytestmark = pytest.mark.e2e
FAST = S3Options(max_attempts=2, connect_timeout=2, read_timeout=5)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server for this module; boto3 finds it through AWS_ENDPOINT_URL."""
    saved = {k: os.environ.get(k) for k in (*S3_ENV, "AWS_ENDPOINT_URL")}
    with moto_server() as url:
        os.environ.update(S3_ENV)
        os.environ["AWS_ENDPOINT_URL"] = url
        try:
            yield url
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str) -> str:
    boto3.client("s3").create_bucket(Bucket="models")
    return "models"


def test_publish_then_fetch_round_trip(bucket: str, tiny_model: Path, tmp_path: Path) -> None:
    uri = publish_model(tiny_model, bucket=bucket, set_latest=True)
    assert uri == f"s3://{bucket}/tiny/0.0.1/tiny-0.0.1.h5"
    s3 = boto3.client("s3")
    head = s3.head_object(Bucket=bucket, Key="tiny/0.0.1/tiny-0.0.1.h5")
    assert head["Metadata"]["sha256"] == sha256_of(tiny_model)
    latest = json.loads(s3.get_object(Bucket=bucket, Key="tiny/latest.json")["Body"].read())
    assert latest["model_uri"] == uri
    fetched = fetch_model(uri, cache_dir=tmp_path, options=FAST)
    assert (
        fetched.sha256 == sha256_of(tiny_model)
        and fetched.path.read_bytes() == tiny_model.read_bytes()
    )
    again = fetch_model(uri, cache_dir=tmp_path, options=FAST)  # served from the verified cache
    assert again.path == fetched.path


def test_publish_script_prints_the_uri(bucket: str, tiny_model: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "scripts/publish_model.py",
            "--model",
            str(tiny_model),
            "--bucket",
            bucket,
            "--prefix",
            "team/x",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    assert out.stdout.strip() == f"s3://{bucket}/team/x/0.0.1/tiny-0.0.1.h5"


def test_missing_object_is_a_clear_permanent_error(bucket: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such object"):
        fetch_model(f"s3://{bucket}/nothing/here.h5", cache_dir=tmp_path, options=FAST)


def test_missing_bucket_is_a_clear_error(s3_endpoint: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        fetch_model("s3://no-such-bucket/m.h5", cache_dir=tmp_path, options=FAST)


def test_checksum_mismatch_is_refused(bucket: str, tiny_model: Path, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.upload_file(str(tiny_model.with_suffix(".json")), bucket, "bad/m.json")
    s3.put_object(Bucket=bucket, Key="bad/m.h5", Body=tiny_model.read_bytes() + b"tampered")
    with pytest.raises(ModelError, match="checksum mismatch"):
        fetch_model(f"s3://{bucket}/bad/m.h5", cache_dir=tmp_path, options=FAST)


def test_expected_sha_must_agree_with_manifest(
    bucket: str, tiny_model: Path, tmp_path: Path
) -> None:
    uri = publish_model(tiny_model, bucket=bucket)
    with pytest.raises(ModelError, match="MODEL_SHA256"):
        fetch_model(uri, cache_dir=tmp_path, expected_sha256="0" * 64, options=FAST)


def test_local_path_without_manifest(tmp_path: Path) -> None:
    lonely = tmp_path / "m.h5"
    lonely.write_bytes(b"x")
    with pytest.raises(ModelError, match="manifest"):
        fetch_model(str(lonely), cache_dir=tmp_path)


def test_unreachable_s3_retries_then_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: connection refused
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ModelError, match="after 2 attempts"):
        fetch_model("s3://models/x/m.h5", cache_dir=tmp_path, options=S3Options(2, 0.5, 0.5))


# --- the service's start-up path, as a real process reading from the S3 server -----------------


def test_service_starts_from_s3(
    bucket: str, s3_endpoint: str, tiny_model: Path, tmp_path: Path
) -> None:
    uri = publish_model(tiny_model, bucket=bucket, prefix="startup")
    env = service_env(MODEL_URI=uri, AWS_ENDPOINT_URL=s3_endpoint, MODEL_CACHE_DIR=str(tmp_path))
    with service_process(env) as (base, _):
        info = httpx.get(f"{base}/v1/model").json()
        assert info["source_uri"] == uri and info["sha256"] == sha256_of(tiny_model)


@pytest.mark.parametrize(
    ("key", "corrupt", "expect"),
    [
        ("absent/m.h5", False, "no such object"),
        ("corrupt/tiny-0.0.1.h5", True, "checksum mismatch"),
    ],
)
def test_service_refuses_to_become_ready(
    bucket: str,
    s3_endpoint: str,
    tiny_model: Path,
    tmp_path: Path,
    key: str,
    corrupt: bool,
    expect: str,
) -> None:
    if corrupt:
        s3 = boto3.client("s3")
        s3.upload_file(str(tiny_model.with_suffix(".json")), bucket, key.replace(".h5", ".json"))
        s3.put_object(Bucket=bucket, Key=key, Body=tiny_model.read_bytes()[:-10] + b"0123456789")
    env = service_env(
        MODEL_URI=f"s3://{bucket}/{key}",
        AWS_ENDPOINT_URL=s3_endpoint,
        MODEL_CACHE_DIR=str(tmp_path),
        S3_MAX_ATTEMPTS="2",
    )
    log = tmp_path / "service.log"
    statuses: list[int] = []
    with service_process(env, log=log, wait_ready=False) as (base, proc):
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                statuses.append(httpx.get(f"{base}/readyz", timeout=2).status_code)
            time.sleep(0.1)
        code = proc.wait(timeout=30)
    assert 200 not in statuses, "it must never report ready"
    assert code != 0, "a service without a valid model must exit non-zero"
    text = log.read_text()
    assert expect in text and "no valid model; exiting" in text


def test_publishing_the_same_version_again_is_a_no_op(bucket: str, tiny_model: Path) -> None:
    first = publish_model(tiny_model, bucket=bucket, prefix="again")
    versions_before = boto3.client("s3").list_object_versions(Bucket=bucket, Prefix="again/")
    assert publish_model(tiny_model, bucket=bucket, prefix="again") == first
    versions_after = boto3.client("s3").list_object_versions(Bucket=bucket, Prefix="again/")
    assert len(versions_after.get("Versions", [])) == len(versions_before.get("Versions", []))


def test_other_bytes_never_replace_a_published_version(
    bucket: str, tiny_model: Path, tmp_path: Path
) -> None:
    # A task definition pins the sha256 of the published .h5: replacing its bytes would make
    # every new task, rollbacks included, fail its checksum.
    uri = publish_model(tiny_model, bucket=bucket, prefix="pinned")
    retrained = tmp_path / tiny_model.name
    retrained.write_bytes(tiny_model.read_bytes() + b"retrained")
    manifest = json.loads(tiny_model.with_suffix(".json").read_text())
    manifest["sha256"] = sha256_of(retrained)
    retrained.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="already holds other bytes"):
        publish_model(retrained, bucket=bucket, prefix="pinned")
    key = uri.removeprefix(f"s3://{bucket}/")
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored == tiny_model.read_bytes()


def test_an_exact_key_places_the_model_and_its_manifest(bucket: str, tiny_model: Path) -> None:
    uri = publish_model(tiny_model, bucket=bucket, key="deploy/prefix/1.0.0/custom.h5")
    assert uri == f"s3://{bucket}/deploy/prefix/1.0.0/custom.h5"
    s3 = boto3.client("s3")
    s3.head_object(Bucket=bucket, Key="deploy/prefix/1.0.0/custom.json")
