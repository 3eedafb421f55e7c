"""The storage stack: what must exist before the service can start (images and the model).

Why a separate stack (the first deploy's chicken-and-egg): the service's task definition names an
image tag in ECR and a model object in S3. Both must be pushed/published before ECS starts a
task, or the first deployment fails and rolls back. scripts/deploy.sh therefore deploys this stack,
pushes both images and publishes the model, then deploys the service stack. CDK Docker assets would
also solve it, but build at `cdk deploy` time into CDK's shared bootstrap repository, which this
app could not give scan-on-push, immutable tags or its own lifecycle rules.

The bucket and the repositories have names derived from the stage (infra/names.py); the service
stack computes the same names from the same context. Nothing is exported, so replacing the bucket
or a repository never blocks on an "export in use".
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Stack
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.log_bucket import LogBucket
from infra.constructs.model_store import ModelStore
from infra.constructs.registry import ImageRegistry


class StorageStack(Stack):
    """ECR repositories for the app and nginx images, and the model bucket with its access logs."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        self.access_logs = LogBucket(self, "AccessLogs")
        self.model_store = ModelStore(
            self,
            "ModelStore",
            bucket_name=config.bucket_name(Aws.ACCOUNT_ID, Aws.REGION),
            access_logs=self.access_logs.bucket,
        )
        self.registry = ImageRegistry(
            self, "Registry", app_name=names.app_repository, nginx_name=names.nginx_repository
        )
        # For scripts/deploy.sh (publish and push targets); informational, never exported.
        CfnOutput(self, "ModelBucketName", value=self.model_store.bucket.bucket_name)
        CfnOutput(self, "AppRepositoryUri", value=self.registry.app_repository.repository_uri)
        CfnOutput(self, "NginxRepositoryUri", value=self.registry.nginx_repository.repository_uri)
