"""All S3 access: fetch a model (+ manifest) for serving, verify it, and publish one for deploys."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from service.checksums import sha256_of
from service.errors import ModelError
from service.manifest import ModelManifest, manifest_path_for, read_manifest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# Errors that no retry can fix: report them at once.
PERMANENT_S3_CODES = {
    "404",
    "NoSuchKey",
    "NoSuchBucket",
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
}
CHUNK = 1024 * 1024
# s3transfer retries a broken body stream itself (5 times by default); _download counts attempts.
ONE_TRY = TransferConfig(num_download_attempts=1)


@dataclass(frozen=True)
class S3Location:
    """A bucket and key parsed from s3://bucket/key."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        """Split an s3:// URI; the settings already checked its shape."""
        if not uri.startswith("s3://"):
            raise ModelError(f"not an S3 URI: {uri}")
        bucket, _, key = uri[5:].partition("/")
        if not bucket or not key:
            raise ModelError(f"an S3 URI needs a bucket and a key: {uri}")
        return cls(bucket, key)

    @property
    def uri(self) -> str:
        """Back to s3://bucket/key."""
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class FetchedModel:
    """A verified local copy of a model and its manifest."""

    path: Path
    manifest: ModelManifest
    source_uri: str
    sha256: str
    download_seconds: float


@dataclass(frozen=True)
class S3Options:
    """Retry and timeout policy for S3 calls."""

    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


# S3's answers to If-None-Match: * on an existing key (412), or a concurrent write (409).
WRITE_ONCE_REFUSALS = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict"})


def s3_client(options: S3Options = S3Options(), *, sdk_retries: bool = True) -> S3Client:
    """A boto3 S3 client with bounded attempts per call (standard mode backs off) and timeouts.

    With sdk_retries=False each call is tried once: the caller retries, so that S3_MAX_ATTEMPTS
    counts attempts instead of multiplying botocore's own. boto3 itself honours AWS_ENDPOINT_URL,
    so the same code reaches moto's server or AWS.
    """
    attempts = options.max_attempts if sdk_retries else 1
    config = Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
    )
    return boto3.client("s3", config=config)


def fetch_model(
    uri: str,
    *,
    cache_dir: Path,
    expected_sha256: str | None = None,
    options: S3Options = S3Options(),
    client: S3Client | None = None,
) -> FetchedModel:
    """Download (or locate) the .h5 and its manifest and verify the checksum; never returns a bad one."""
    started = time.perf_counter()
    if uri.startswith("s3://"):
        location = S3Location.parse(uri)
        s3 = client or s3_client(options, sdk_retries=False)  # _download retries, and logs it
        target = cache_dir / location.bucket / location.key
        manifest_location = S3Location(
            location.bucket, manifest_path_for(Path(location.key)).as_posix()
        )
        manifest_file = manifest_path_for(target)
        _download(s3, manifest_location, manifest_file, options)
        manifest = read_manifest(manifest_file)
        want = expected_sha256 or manifest.sha256
        if target.exists() and sha256_of(target) == want:
            log.info("model found in cache", extra={"path": str(target)})
        else:
            _download(s3, location, target, options)
    else:
        target = Path(uri).expanduser().resolve()
        if not target.is_file():
            raise ModelError(f"model file {target} does not exist")
        manifest = read_manifest(manifest_path_for(target))
    got = sha256_of(target)
    _check_checksums(uri, got, manifest, expected_sha256)
    return FetchedModel(target, manifest, uri, got, time.perf_counter() - started)


def _check_checksums(uri: str, got: str, manifest: ModelManifest, expected: str | None) -> None:
    """The file must match the manifest, and MODEL_SHA256 when it is given."""
    if expected and expected != manifest.sha256:
        raise ModelError(
            f"MODEL_SHA256 {expected} differs from the manifest's sha256 {manifest.sha256} for {uri}"
        )
    if got != manifest.sha256:
        raise ModelError(
            f"checksum mismatch for {uri}: file sha256 {got}, manifest says {manifest.sha256}; "
            "refusing to serve it"
        )


def _download(s3: S3Client, location: S3Location, target: Path, options: S3Options) -> None:
    """Download to a temporary name and rename, retrying transient failures with backoff."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    for attempt in range(1, options.max_attempts + 1):
        try:
            s3.download_file(location.bucket, location.key, str(partial), Config=ONE_TRY)
            partial.replace(target)
            return
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in PERMANENT_S3_CODES:
                raise ModelError(f"cannot read {location.uri}: {code} {_reason(code)}") from exc
            last: Exception = exc
        except (BotoCoreError, OSError) as exc:
            last = exc
        finally:
            partial.unlink(missing_ok=True)
        if attempt == options.max_attempts:
            break
        delay = min(8.0, 0.5 * 2 ** (attempt - 1))
        log.warning(
            "S3 download failed, retrying",
            extra={"uri": location.uri, "attempt": attempt, "delay_s": delay, "error": str(last)},
        )
        time.sleep(delay)
    raise ModelError(
        f"cannot download {location.uri} after {options.max_attempts} attempts: {last}"
    )


def _reason(code: str) -> str:
    """A short explanation of a permanent S3 error code."""
    if code in {"404", "NoSuchKey"}:
        return "(no such object)"
    if code == "NoSuchBucket":
        return "(no such bucket)"
    return "(access denied: check the task role's read grant on this prefix)"


def publish_model(
    model_path: Path,
    *,
    bucket: str,
    prefix: str | None = None,
    key: str | None = None,
    set_latest: bool = False,
    client: S3Client | None = None,
) -> str:
    """Upload .h5 + manifest, create-only, and return the .h5's URI.

    The default key is <prefix>/<version>/<file name>; `key` places the .h5 exactly (the deploy
    passes the key its task definition reads) with the manifest beside it. A key is written
    once: publishing the same bytes again is a no-op, other bytes are refused, because a
    running task definition pins the sha256 of what is there (infra/constructs/model_store.py).
    """
    manifest = read_manifest(manifest_path_for(model_path))
    actual = sha256_of(model_path)
    if actual != manifest.sha256:
        raise ModelError(
            f"{model_path} sha256 {actual} does not match its manifest; not publishing"
        )
    s3 = client or s3_client()
    folder = (prefix or manifest.name).strip("/")
    model_key = key or f"{folder}/{manifest.version}/{model_path.name}"
    metadata = {"sha256": actual, "model-name": manifest.name, "model-version": manifest.version}
    _put_once(s3, bucket, model_key, model_path, metadata, "application/x-hdf5")
    manifest_key = manifest_path_for(Path(model_key)).as_posix()
    _put_once(s3, bucket, manifest_key, manifest_path_for(model_path), metadata, "application/json")
    uri = f"s3://{bucket}/{model_key}"
    if set_latest:
        pointer: dict[str, Any] = {"version": manifest.version, "model_uri": uri, "sha256": actual}
        s3.put_object(
            Bucket=bucket,
            Key=f"{folder}/latest.json",
            Body=json.dumps(pointer).encode(),
            ContentType="application/json",
        )
    return uri


def _put_once(
    s3: S3Client, bucket: str, key: str, path: Path, metadata: dict[str, str], content_type: str
) -> None:
    """PUT with If-None-Match: *; when the key exists, accept it only if it holds these bytes."""
    content_sha256 = sha256_of(path)
    try:
        with path.open("rb") as body:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                IfNoneMatch="*",
                Metadata={**metadata, "content-sha256": content_sha256},
                ContentType=content_type,
            )
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in WRITE_ONCE_REFUSALS:
            raise ModelError(f"cannot publish s3://{bucket}/{key}: {exc}") from exc
    existing = _stored_sha256(s3, bucket, key)
    if existing != content_sha256:
        raise ModelError(
            f"s3://{bucket}/{key} already holds other bytes (sha256 {existing}); a published "
            "version is never replaced: publish under a new version"
        )
    log.info("already published", extra={"uri": f"s3://{bucket}/{key}"})


def _stored_sha256(s3: S3Client, bucket: str, key: str) -> str:
    """The sha256 of the object's bytes: from its metadata, else by reading it."""
    head = s3.head_object(Bucket=bucket, Key=key)
    recorded = head.get("Metadata", {}).get("content-sha256")
    if recorded:
        return recorded
    digest = hashlib.sha256()
    for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
