"""The ECR repositories for the two images of the task: the app and its nginx front."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct

UNTAGGED_EXPIRY_DAYS = 7
IMAGES_KEPT = 30


def _repository(scope: Construct, construct_id: str) -> ecr.Repository:
    return ecr.Repository(
        scope,
        construct_id,
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
            ecr.LifecycleRule(
                rule_priority=2,
                description=f"keep the newest {IMAGES_KEPT} images (rollbacks reach that far)",
                tag_status=ecr.TagStatus.ANY,
                max_image_count=IMAGES_KEPT,
            ),
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )


class ImageRegistry(Construct):
    """Scan on push, immutable tags, lifecycle rules; kept on stack delete like the images in them."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.app_repository = _repository(self, "AppRepository")
        self.nginx_repository = _repository(self, "NginxRepository")
