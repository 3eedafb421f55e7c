"""The ECR repositories for the two images of the task: the app and its nginx front."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct

UNTAGGED_EXPIRY_DAYS = 7


def _repository(scope: Construct, construct_id: str, name: str) -> ecr.Repository:
    return ecr.Repository(
        scope,
        construct_id,
        repository_name=name,
        image_scan_on_push=True,
        # A tag names one image forever, so a deployed task definition always pulls what was tested.
        image_tag_mutability=ecr.TagMutability.IMMUTABLE,
        encryption=ecr.RepositoryEncryption.AES_256,
        lifecycle_rules=[
            ecr.LifecycleRule(
                rule_priority=1,
                description=f"drop untagged layers after {UNTAGGED_EXPIRY_DAYS} days",
                tag_status=ecr.TagStatus.UNTAGGED,
                max_image_age=Duration.days(UNTAGGED_EXPIRY_DAYS),
            ),
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )


class ImageRegistry(Construct):
    """Scan on push, immutable tags; kept on stack delete like the images in them.

    The lifecycle rule expires untagged layers only. A count rule ("keep the newest N") cannot
    know which tag the running task definition, or the one a rollback returns to, pulls: after N
    newer pushes it would expire it and every new task would fail to pull. Old release tags are
    removed by hand (docs/DEPLOY.md, "Cleaning up old images"); deploy.sh builds single-platform
    images without attestations, so no tagged image depends on an untagged manifest.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, app_name: str, nginx_name: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.app_repository = _repository(self, "AppRepository", app_name)
        self.nginx_repository = _repository(self, "NginxRepository", nginx_name)
