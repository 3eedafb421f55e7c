"""The S3 bucket the model is published to (scripts/publish_model.py) and the task reads from.

Published objects are write-once: the bucket policy refuses any object write without
`If-None-Match: *`, so a model version cannot be re-published with other bytes over the key a
running task definition pins by sha256 (every new task, rollbacks included, would then fail its
checksum), and nobody may delete one (which would free its key for other bytes). The
`<prefix>/latest.json` pointer is the one key that may be overwritten or deleted.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

NONCURRENT_VERSION_EXPIRY_DAYS = 90
LATEST_POINTER = "latest.json"  # scripts/publish_model.py --latest


class ModelStore(Construct):
    """Versioned, encrypted, TLS-only, never public, write-once, kept when the stack is deleted."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # SSE-S3: the task role then needs no KMS grant on top of s3:GetObject.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            # An overwritten model stays recoverable for 90 days; published versions have their
            # own keys (<prefix>/<version>/...) and are never expired.
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_EXPIRY_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="s3-access/models/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket.add_to_resource_policy(write_once_statement(self.bucket))
        self.bucket.add_to_resource_policy(no_delete_statement(self.bucket))


def write_once_statement(bucket: s3.IBucket) -> iam.PolicyStatement:
    """Deny creating an object unless the request says `If-None-Match: *` (create, never replace).

    s3:ObjectCreationOperation exempts the multipart steps that take no conditional header
    (CreateMultipartUpload, UploadPart); the CompleteMultipartUpload that creates the object
    must carry it (S3 user guide, "Enforce conditional writes on Amazon S3 buckets").
    """
    return iam.PolicyStatement(
        sid="WriteOnceExceptTheLatestPointer",
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["s3:PutObject"],
        not_resources=[bucket.arn_for_objects(f"*/{LATEST_POINTER}")],
        conditions={
            "Null": {"s3:if-none-match": "true"},
            "Bool": {"s3:ObjectCreationOperation": "true"},
        },
    )


def no_delete_statement(bucket: s3.IBucket) -> iam.PolicyStatement:
    """Deny deleting a published object or any version of it, whoever asks (the pointer aside).

    Write-once alone would let a delete free the key for other bytes; with versioning a delete
    could also remove the very version a task definition pins. Removing a model for good is an
    admin's deliberate act: edit this statement first (docs/DEPLOY.md).
    """
    return iam.PolicyStatement(
        sid="PublishedModelsAreNeverDeleted",
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
        not_resources=[bucket.arn_for_objects(f"*/{LATEST_POINTER}")],
    )


def grant_model_read(*, bucket: s3.IBucket, prefix: str, grantee: iam.IGrantable) -> iam.Grant:
    """s3:GetObject on <bucket>/<prefix>/* and nothing else (no List, no bucket-level actions)."""
    return iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:GetObject"],
        resource_arns=[bucket.arn_for_objects(f"{prefix}/*")],
    )
