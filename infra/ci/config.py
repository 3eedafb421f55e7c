"""The CI identity stack's context keys, validated once (infra/ci/app.py reads them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Final

from pydantic import Field, field_validator

from infra.config import MODEL_PREFIX
from infra.context import ContextModel, checked_region, checked_stage, validate_context
from infra.names import DeployNames

GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
STS_AUDIENCE: Final = "sts.amazonaws.com"
# `repo:OWNER/REPO`, or the immutable form GitHub issues for new repositories since 2026,
# `repo:OWNER@OWNER_ID/REPO@REPO_ID` (configure-aws-credentials README, "immutable sub").
_SUB_PREFIX = re.compile(r"repo:[A-Za-z0-9-]+(@\d+)?/[A-Za-z0-9_.-]+(@\d+)?")
_PROVIDER_ARN = re.compile(
    r"arn:aws[a-z-]*:iam::\d{12}:oidc-provider/" + re.escape(GITHUB_OIDC_HOST)
)


class CiConfig(ContextModel):
    """Field `x_y` is context key `xY`. Only githubSubPrefix is required."""

    github_sub_prefix: str = Field(description="repo:OWNER/REPO or repo:OWNER@ID/REPO@ID")
    github_environment: str = Field("production", description="the deploy job's environment")
    github_oidc_provider_arn: str | None = Field(
        None, description="the account's existing GitHub OIDC provider (one per account)"
    )
    stage: str = "production"
    region: str = "us-east-1"
    model_bucket_name: str | None = None
    model_prefix: str = Field(MODEL_PREFIX, description="the service stack's modelPrefix")
    bootstrap_qualifier: str = Field("hnb659fds", description="cdk bootstrap --qualifier")

    @field_validator("github_sub_prefix")
    @classmethod
    def _sub_prefix(cls, value: str) -> str:
        if not _SUB_PREFIX.fullmatch(value):
            raise ValueError("not repo:OWNER/REPO (or repo:OWNER@ID/REPO@ID)")
        return value

    @field_validator("github_environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,255}", value):
            raise ValueError("not a GitHub environment name")
        return value

    @field_validator("github_oidc_provider_arn")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        if value is not None and not _PROVIDER_ARN.fullmatch(value):
            raise ValueError(f"not the ARN of an IAM OIDC provider for {GITHUB_OIDC_HOST}")
        return value

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        return checked_stage(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return checked_region(value)

    @field_validator("bootstrap_qualifier")
    @classmethod
    def _qualifier(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9]{1,10}", value):
            raise ValueError("a CDK bootstrap qualifier is 1-10 lower-case letters and digits")
        return value

    @property
    def names(self) -> DeployNames:
        """The deployed stage's names (its repositories and bucket)."""
        return DeployNames(self.stage)

    @property
    def deploy_subject(self) -> str:
        """The OIDC `sub` of a job that runs in the deploy environment."""
        return f"{self.github_sub_prefix}:environment:{self.github_environment}"

    @property
    def diff_subject(self) -> str:
        """The OIDC `sub` of a pull_request-triggered job (no environment)."""
        return f"{self.github_sub_prefix}:pull_request"


def read_ci_context(get: Callable[[str], Any], given: Iterable[str] = ()) -> CiConfig:
    """Build the config from a context getter; the error names each bad or unknown key."""
    return validate_context(CiConfig, get, given)
