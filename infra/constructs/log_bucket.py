"""A bucket that receives AWS-delivered logs (S3 server access, ALB access, VPC flow logs)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge

LOG_EXPIRY_DAYS = 90


class LogBucket(Construct):
    """Private, TLS-only, SSE-S3 (the only encryption ALB log delivery supports), 90-day expiry."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(LOG_EXPIRY_DAYS))],
            # Logs are evidence: they outlive the stack and expire on their own.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "This bucket is itself the access-log destination; logging it into another bucket "
            "would only move the question one bucket further.",
        )
