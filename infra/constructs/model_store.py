"""The S3 bucket the model is published to (scripts/publish_model.py) and the task reads from."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

NONCURRENT_VERSION_EXPIRY_DAYS = 90


class ModelStore(Construct):
    """Versioned, encrypted, TLS-only, never public, kept when the stack is deleted."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str | None,
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


def grant_model_read(*, bucket: s3.IBucket, prefix: str, grantee: iam.IGrantable) -> iam.Grant:
    """s3:GetObject on <bucket>/<prefix>/* and nothing else (no List, no bucket-level actions)."""
    return iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:GetObject"],
        resource_arns=[bucket.arn_for_objects(f"{prefix}/*")],
    )
