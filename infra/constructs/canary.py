"""The outside-in canary: CloudWatch Synthetics calls the public name every few minutes.

The code is infra/probe/canary.py, inline (standard library and boto3). The API key is read at run
time from the stack's secret: the canary's role may read that one secret. Its run artifacts go to
a bucket of this stack (TLS only, never public, expired after a month).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_synthetics as synthetics
from constructs import Construct

from infra.nag import acknowledge

CODE: Final = Path(__file__).resolve().parents[1] / "probe" / "canary.py"
RUNTIME: Final = synthetics.Runtime.SYNTHETICS_PYTHON_SELENIUM_7_0
ARTIFACT_DAYS: Final = 30


class Canary(Construct):
    """Exposes `canary` (its metrics feed the alarms in Monitoring) and `artifacts`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        endpoint_url: str,
        every: Duration,
        api_key_secret: secretsmanager.ISecret | None,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.artifacts = s3.Bucket(
            self,
            "Artifacts",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ARTIFACT_DAYS))],
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="s3-access/canary/",
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        environment = {"ENDPOINT_URL": endpoint_url}
        if api_key_secret is not None:
            environment["API_KEY_SECRET_ARN"] = api_key_secret.secret_arn
        self.canary = synthetics.Canary(
            self,
            "Canary",
            canary_name=name,
            runtime=RUNTIME,
            test=synthetics.Test.custom(
                code=synthetics.Code.from_inline(CODE.read_text(encoding="utf-8")),
                handler="index.handler",
            ),
            schedule=synthetics.Schedule.rate(every),
            environment_variables=environment,
            artifacts_bucket_location=synthetics.ArtifactsBucketLocation(bucket=self.artifacts),
            timeout=Duration.seconds(60),
            start_after_creation=True,
            success_retention_period=Duration.days(7),
            failure_retention_period=Duration.days(ARTIFACT_DAYS),
        )
        if api_key_secret is not None:
            api_key_secret.grant_read(self.canary.role)
        acknowledge(
            self.canary,
            "AwsSolutions-IAM5[Resource::*]",
            "The Synthetics execution role CDK writes: cloudwatch:PutMetricData (namespace "
            "CloudWatchSynthetics by condition) and s3:ListAllMyBuckets have no resource scope.",
        )
        acknowledge(
            self.canary,
            "AwsSolutions-IAM5[Resource::<CanaryArtifacts7ADD0D0B.Arn>/*]",
            "The canary writes its run artifacts (logs, results) under its own artifact bucket.",
        )
        acknowledge(
            self.canary,
            f"AwsSolutions-IAM5[Resource::arn:{_partition(stack.region)}:logs:{stack.region}:"
            "<AWS::AccountId>:log-group:/aws/lambda/cwsyn-*]",
            "Synthetics names the canary's log group cwsyn-<name>-<id> when it creates the "
            "function, so only the prefix is known at synth.",
        )


def _partition(region: str) -> str:
    """The partition CDK writes as a literal for a known region (enablePartitionLiterals)."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"
