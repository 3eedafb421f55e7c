"""The storage stack: what must exist before the service can start (images and the model).

Why a separate stack (the first deploy's chicken-and-egg): the service's task definition names an
image tag in ECR and a model object in S3. Both must be pushed/published before ECS starts a
task, or the first deployment fails and rolls back. scripts/deploy.sh therefore deploys this stack,
pushes both images and publishes the model, then deploys FacesimService. CDK Docker assets would
also solve it, but build at `cdk deploy` time into CDK's shared bootstrap repository, which this
app could not give scan-on-push, immutable tags or its own lifecycle rules.

The service stack reads this one's resources through CloudFormation exports with fixed names
(`StorageExports`), not CDK's generated ones, so refactoring either stack cannot strand an export.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.log_bucket import LogBucket
from infra.constructs.model_store import ModelStore
from infra.constructs.registry import ImageRegistry


@dataclass(frozen=True, kw_only=True)
class StorageExports:
    """The CloudFormation export names FacesimService imports."""

    model_bucket_name: str
    model_bucket_arn: str
    app_repository_name: str
    app_repository_arn: str
    nginx_repository_name: str
    nginx_repository_arn: str


class StorageStack(Stack):
    """ECR repositories for the app and nginx images, and the model bucket with its access logs."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.access_logs = LogBucket(self, "AccessLogs")
        self.model_store = ModelStore(
            self,
            "ModelStore",
            bucket_name=config.model_bucket_name,
            access_logs=self.access_logs.bucket,
        )
        self.registry = ImageRegistry(self, "Registry")

        bucket = self.model_store.bucket
        app_repo = self.registry.app_repository
        nginx_repo = self.registry.nginx_repository
        exported = {
            "ModelBucketName": bucket.bucket_name,
            "ModelBucketArn": bucket.bucket_arn,
            "AppRepositoryName": app_repo.repository_name,
            "AppRepositoryArn": app_repo.repository_arn,
            "NginxRepositoryName": nginx_repo.repository_name,
            "NginxRepositoryArn": nginx_repo.repository_arn,
        }
        names = {key: f"{self.stack_name}-{key}" for key in exported}
        for key, value in exported.items():
            CfnOutput(self, key, value=value, export_name=names[key])
        self.exports = StorageExports(
            model_bucket_name=names["ModelBucketName"],
            model_bucket_arn=names["ModelBucketArn"],
            app_repository_name=names["AppRepositoryName"],
            app_repository_arn=names["AppRepositoryArn"],
            nginx_repository_name=names["NginxRepositoryName"],
            nginx_repository_arn=names["NginxRepositoryArn"],
        )
        # For scripts/deploy.sh (docker push targets); not imported by anything.
        CfnOutput(self, "AppRepositoryUri", value=app_repo.repository_uri)
        CfnOutput(self, "NginxRepositoryUri", value=nginx_repo.repository_uri)
