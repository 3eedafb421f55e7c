"""Publish the model a deploy serves: .h5 and manifest to S3, create-only, with boto3 alone.

scripts/deploy.sh runs `python -m infra.publish --model PATH --bucket B --key K`, so a deploy-only
install (requirements-deploy.txt: no TensorFlow, no dlib) can publish. The bucket refuses any
write without `If-None-Match: *` and any delete (infra/constructs/model_store.py); publishing the
same bytes again is a no-op, other bytes under a published key are refused: a new version is due.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK: Final = 1024 * 1024
# What S3 answers when If-None-Match: * finds the key taken (or a concurrent write won).
TAKEN: Final = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


class PublishError(RuntimeError):
    """The model cannot be published as asked; the message says why."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def publish(model: Path, *, bucket: str, key: str, client: S3Client | None = None) -> str:
    """Put the .h5 at `key` and its manifest beside it, each once; the .h5's s3:// URI."""
    manifest_path = model.with_suffix(".json")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    actual = sha256_file(model)
    if actual != manifest.get("sha256"):
        raise PublishError(f"{model} sha256 {actual} does not match its manifest; not publishing")
    if client is None:
        import boto3

        client = boto3.client("s3")
    metadata = {
        "sha256": actual,
        "model-name": str(manifest["name"]),
        "model-version": str(manifest["version"]),
    }
    put_once(client, bucket, key, model, metadata, "application/x-hdf5")
    manifest_key = key.removesuffix(".h5") + ".json"
    put_once(client, bucket, manifest_key, manifest_path, metadata, "application/json")
    return f"s3://{bucket}/{key}"


def put_once(
    client: S3Client, bucket: str, key: str, path: Path, metadata: dict[str, str], content_type: str
) -> None:
    """PUT with If-None-Match: *; when the key is taken, accept it only if it holds these bytes."""
    from botocore.exceptions import ClientError

    content_sha256 = sha256_file(path)
    try:
        with path.open("rb") as body:
            client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                IfNoneMatch="*",
                Metadata={**metadata, "content-sha256": content_sha256},
                ContentType=content_type,
            )
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in TAKEN:
            raise PublishError(f"cannot publish s3://{bucket}/{key}: {exc}") from exc
    head = client.head_object(Bucket=bucket, Key=key)
    stored = head.get("Metadata", {}).get("content-sha256")
    if stored is None:
        digest = hashlib.sha256()
        for chunk in client.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(CHUNK):
            digest.update(chunk)
        stored = digest.hexdigest()
    if stored != content_sha256:
        raise PublishError(
            f"s3://{bucket}/{key} already holds other bytes (sha256 {stored}); a published "
            "version never changes: publish under a new version"
        )


def main(argv: list[str] | None = None) -> int:
    """Publish; print the .h5's URI, or one line on stderr and exit 1."""
    parser = argparse.ArgumentParser(prog="python -m infra.publish", description=__doc__)
    parser.add_argument("--model", type=Path, required=True, help=".h5 with its .json beside it")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True, help="exact key of the .h5")
    args = parser.parse_args(argv)
    try:
        uri = publish(args.model, bucket=args.bucket, key=args.key)
    except (PublishError, OSError, ValueError, KeyError) as exc:
        print(f"publish failed: {exc}", file=sys.stderr)
        return 1
    print(uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
