"""The CI identity stack: deployed once per account by an admin, then used by the workflows.

- GitHub's OIDC provider (native AWS::IAM::OIDCProvider; IAM allows one per URL per account, so an
  existing one is imported by ARN instead);
- a deploy role, trusted only for jobs in the deploy environment (`<sub prefix>:environment:
  production`), that may assume the three CDK bootstrap roles a deploy of this app uses, push to
  the stage's two ECR repositories and write (and read back, for the create-only check) objects
  under the model prefix: nothing else;
- a diff role, trusted only for pull-request jobs (`<sub prefix>:pull_request`), that may assume
  the bootstrap lookup role and nothing else (`cdk diff --no-change-set`).
Both trusts pin the audience to sts.amazonaws.com and match `sub` exactly (StringEquals).
"""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import Aws, CfnOutput, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.ci.config import GITHUB_OIDC_HOST, STS_AUDIENCE, CiConfig
from infra.nag import acknowledge

# Bootstrap roles a `cdk deploy --app <assembly>` of this app assumes: deploy (CloudFormation),
# file-publishing (the VPC default-SG custom resource's Lambda code), lookup (diff/describe).
# No image-publishing: the app has no Docker assets (deploy.sh pushes to its own repositories).
DEPLOY_BOOTSTRAP_ROLES: Final = ("deploy", "file-publishing", "lookup")
DIFF_BOOTSTRAP_ROLES: Final = ("lookup",)


class CiIdentityStack(Stack):
    """Exposes `provider`, `deploy_role`, `diff_role`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: CiConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        if config.github_oidc_provider_arn is not None:
            self.provider = iam.OidcProviderNative.from_oidc_provider_arn(
                self, "GitHubOidc", config.github_oidc_provider_arn
            )
        else:
            self.provider = iam.OidcProviderNative(
                self,
                "GitHubOidc",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_ids=[STS_AUDIENCE],
            )
        self.deploy_role = self._github_role(
            "DeployRole", config.deploy_subject, DEPLOY_BOOTSTRAP_ROLES, "deploy facesim"
        )
        self.diff_role = self._github_role(
            "DiffRole", config.diff_subject, DIFF_BOOTSTRAP_ROLES, "cdk diff on pull requests"
        )
        self._grant_deploy(config)
        CfnOutput(self, "DeployRoleArn", value=self.deploy_role.role_arn)
        CfnOutput(self, "DiffRoleArn", value=self.diff_role.role_arn)

    def _github_role(
        self, construct_id: str, subject: str, bootstrap_roles: tuple[str, ...], purpose: str
    ) -> iam.Role:
        """A role only GitHub jobs with exactly this `sub` (and our audience) may assume."""
        principal = iam.OpenIdConnectPrincipal(
            self.provider,
            conditions={
                "StringEquals": {
                    f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                    f"{GITHUB_OIDC_HOST}:sub": subject,
                }
            },
        )
        role = iam.Role(
            self, construct_id, assumed_by=principal, description=f"GitHub Actions: {purpose}"
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[self.bootstrap_role_arn(kind) for kind in bootstrap_roles],
            )
        )
        return role

    def bootstrap_role_arn(self, kind: str) -> str:
        """The exact ARN of one CDK bootstrap role in this account and region."""
        qualifier = self.config.bootstrap_qualifier
        return (
            f"arn:{self.partition}:iam::{Aws.ACCOUNT_ID}:role/"
            f"cdk-{qualifier}-{kind}-role-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        )

    def stack_arn(self, stack_name: str) -> str:
        """Every stack of that name (the id after it changes when a stack is re-created)."""
        return f"arn:{self.partition}:cloudformation:{Aws.REGION}:{Aws.ACCOUNT_ID}:stack/{stack_name}/*"

    def _grant_deploy(self, config: CiConfig) -> None:
        """Push both images; write the model objects, create-only, and read them back."""
        names = config.names
        for construct_id, name in (
            ("AppRepository", names.app_repository),
            ("NginxRepository", names.nginx_repository),
        ):
            repository = ecr.Repository.from_repository_name(self, construct_id, name)
            repository.grant_push(self.deploy_role)
            repository.grant(self.deploy_role, "ecr:DescribeImages")  # deploy.sh: pushed yet?
        bucket = config.model_bucket_name or names.model_bucket(Aws.ACCOUNT_ID, Aws.REGION)
        objects = f"arn:{self.partition}:s3:::{bucket}/{config.model_prefix}/*"
        self.deploy_role.add_to_policy(
            iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"], resources=[objects])
        )
        # deploy.sh reads the stage's stack outputs before it deploys: the image tag and model
        # running now are what the printed rollback command names.
        self.deploy_role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks"],
                resources=[
                    self.stack_arn(names.storage_stack),
                    self.stack_arn(names.service_stack),
                ],
            )
        )
        for stack_name in (names.storage_stack, names.service_stack):
            acknowledge(
                self.deploy_role,
                f"AwsSolutions-IAM5[Resource::arn:{self.partition}:cloudformation:<AWS::Region>:"
                f"<AWS::AccountId>:stack/{stack_name}/*]",
                "The wildcard is the stack id CloudFormation appends to the stage's own stack "
                "name; the role may only describe that stack (its outputs: the rollback target).",
            )
        acknowledge(
            self.deploy_role,
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken (docker login to ECR), which grant_push adds, has no "
            "resource-level permissions; every push action names the two repositories.",
        )
        acknowledge(
            self.deploy_role,
            f"AwsSolutions-IAM5[Resource::arn:{self.partition}:s3:::{_nag_bucket(config)}"
            f"/{config.model_prefix}/*]",
            "The wildcard is the model prefix: the deploy publishes <prefix>/<version>/ objects "
            "(create-only, enforced by the bucket policy) and reads them back, nothing else.",
        )


def _nag_bucket(config: CiConfig) -> str:
    """The bucket name as cdk-nag prints it (tokens as <AWS::AccountId>)."""
    return config.model_bucket_name or config.names.model_bucket(
        "<AWS::AccountId>", "<AWS::Region>"
    )
