"""The deployment's configuration: CDK context keys validated into one typed, frozen object.

`infra/app.py` reads the context once (`read_context`) and passes the result down; no construct
calls `try_get_context`. The fixed numbers the containers and the load balancer agree on are in
infra/contract.py; the names a stage gives its resources are in infra/names.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Final

from pydantic import Field, field_validator, model_validator

from infra.arns import CERTIFICATE_ARN, SECRET_ARN
from infra.choices import IngressMode, Rollout, TaskSubnets
from infra.config_rules import check_consistency
from infra.context import (
    ConfigError,
    ContextModel,
    checked_region,
    checked_stage,
    validate_context,
)
from infra.context import context_keys as model_context_keys
from infra.names import DeployNames, is_production_stage
from service.config import DEFAULT_MODEL

# Log retention values CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS: Final = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_SEMVER = re.compile(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?")
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_EMAIL = re.compile(r"[^@\s,]+@[^@\s,]+\.[A-Za-z]{2,}")


_MODEL_FILE = re.compile(r"(?P<name>[a-z0-9][a-z0-9-]*)-(?P<version>\d+\.\d+\.\d+\S*)\.h5")


def _bundled_model() -> tuple[str, str]:
    """Name and version of the model `make run` serves; a deploy serves the same one by default.

    Taken from service.config.DEFAULT_MODEL's file name (`<name>-<version>.h5`, the name its
    manifest must carry), so switching the bundled model is one change in one place and the CDK
    default follows it; synth needs only the name, not the file.
    """
    match = _MODEL_FILE.fullmatch(DEFAULT_MODEL.name)
    if match is None:
        raise ValueError(f"{DEFAULT_MODEL.name} is not named <name>-<version>.h5")
    return match.group("name"), match.group("version")


DEFAULT_MODEL_NAME, DEFAULT_MODEL_VERSION = _bundled_model()
# One S3 prefix for every model, whatever its name: the service stack's read grant, the CI deploy
# role's write grant and the docs all use it, so a model with another name can be published.
MODEL_PREFIX: Final = "models"
DEFAULT_MODEL_KIND: Final = "face-similarity"
_KIND = re.compile(r"[a-z][a-z0-9-]{0,62}")


class DeployConfig(ContextModel):
    """Everything a deployment may vary. Field `x_y` is CDK context key `xY` (`-c xY=value`)."""

    stage: str = Field("production", description="names every resource; prod/production are strict")
    region: str = Field("us-east-1", description="AWS region of both stacks")
    domain_name: str | None = Field(None, description="public name, e.g. api.example.com")
    hosted_zone_id: str | None = Field(None, description="Route 53 zone id holding domainName")
    hosted_zone_name: str | None = Field(None, description="that zone's name, e.g. example.com")
    certificate_arn: str | None = Field(
        None, description="existing ACM certificate for domainName, instead of a hosted zone"
    )
    insecure_http: bool = Field(False, description="no domain: plain HTTP on the ALB's name")
    api_keys: bool = Field(True, description="require X-API-Key (keys in Secrets Manager)")
    api_key_secret_arn: str | None = Field(
        None, description="your own secret for API_KEYS instead of the one the stack creates"
    )
    docs: bool | None = Field(None, description="/docs, /openapi.json; default off in production")
    alarm_email: str | None = Field(None, description="subscribed to the alarm topic")
    model_bucket_name: str | None = Field(None, description="default: a generated unique name")
    model_name: str = DEFAULT_MODEL_NAME
    model_version: str = DEFAULT_MODEL_VERSION
    model_kind: str = Field(DEFAULT_MODEL_KIND, description="the manifest's kind (MODEL_KIND)")
    model_prefix: str = Field(MODEL_PREFIX, description="the S3 prefix every model lives under")
    model_key: str | None = Field(
        None, description="default <prefix>/<name>/<version>/<name>-<version>.h5"
    )
    model_sha256: str | None = Field(None, description="pins the .h5 (MODEL_SHA256)")
    image_tag: str = Field("1.0.0", description="tag of both images in the ECR repositories")
    task_cpu: int = 2048
    task_memory: int = 4096
    desired_count: int = Field(2, ge=1, le=100, description="minimum number of tasks")
    max_count: int = Field(6, ge=1, le=100)
    fargate_spot_percent: int = Field(0, ge=0, le=100, description="share of tasks on Spot")
    task_subnets: TaskSubnets = TaskSubnets.PRIVATE
    nat_gateways: int | None = Field(None, ge=0, le=2, description="default 2 (private) or 0")
    vpc_endpoints: bool = Field(False, description="interface endpoints instead of NAT")
    log_retention_days: int = 30
    health_check_grace_seconds: int = Field(120, ge=30, le=900)
    waf_rate_limit: int = Field(2000, ge=100, le=2_000_000_000, description="per IP, 5 minutes")
    deletion_protection: bool | None = Field(None, description="default on in production")
    rollout: Rollout | None = Field(
        None, description="default blue-green in production, else rolling"
    )
    bake_minutes: int = Field(15, ge=0, le=1440, description="new release watched by the alarms")
    canary_minutes: int = Field(5, ge=1, le=60, description="outside-in check every N minutes")
    canary_gates_releases: bool | None = Field(
        None, description="a failing canary rolls a release back; default on unless certificateArn"
    )

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        return checked_stage(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return checked_region(value)

    @field_validator("domain_name", "hosted_zone_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.lower().rstrip(".")
        if not _DOMAIN.fullmatch(value):
            raise ValueError("not a DNS name")
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"Z[A-Z0-9]{1,31}", value):
            raise ValueError("not a Route 53 hosted zone id (Z...)")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate_arn(cls, value: str | None) -> str | None:
        if value is not None and not CERTIFICATE_ARN.fullmatch(value):
            raise ValueError("not an ACM certificate ARN")
        return value

    @field_validator("api_key_secret_arn")
    @classmethod
    def _secret_arn(cls, value: str | None) -> str | None:
        if value is not None and not SECRET_ARN.fullmatch(value):
            raise ValueError("not a Secrets Manager secret ARN")
        return value

    @field_validator("alarm_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("model_bucket_name")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None and (not _S3_BUCKET.fullmatch(value) or ".." in value):
            raise ValueError("not a valid S3 bucket name")
        return value

    @field_validator("model_name", "model_prefix")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.fullmatch(value):
            raise ValueError("lower-case letters, digits and '-' only")
        return value

    @field_validator("model_kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if not _KIND.fullmatch(value):
            raise ValueError("lower-case letters, digits and '-' (e.g. face-similarity)")
        return value

    @field_validator("model_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _SEMVER.fullmatch(value):
            raise ValueError("not a semantic version (e.g. 1.0.0)")
        return value

    @field_validator("model_sha256")
    @classmethod
    def _sha256(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError("must be 64 hexadecimal characters")
        return None if value is None else value.lower()

    @field_validator("image_tag")
    @classmethod
    def _image_tag(cls, value: str) -> str:
        if not _IMAGE_TAG.fullmatch(value):
            raise ValueError("not a valid image tag")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {LOG_RETENTION_DAYS}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DeployConfig:
        """Checks that span several keys (infra/config_rules.py)."""
        check_consistency(self)
        return self

    @property
    def names(self) -> DeployNames:
        """The names of this stage's resources."""
        return DeployNames(self.stage)

    @property
    def production(self) -> bool:
        """A production stage: /docs off and deletion protection on unless asked otherwise."""
        return is_production_stage(self.stage)

    @property
    def docs_enabled(self) -> bool:
        """Serve /docs and /openapi.json: as asked, else everywhere but production."""
        return (not self.production) if self.docs is None else self.docs

    @property
    def deletion_protected(self) -> bool:
        """Deletion protection of the load balancer: as asked, else on in production."""
        return self.production if self.deletion_protection is None else self.deletion_protection

    def bucket_name(self, account: str, region: str) -> str:
        """The model bucket's name: modelBucketName, else the stage's default (tokens allowed)."""
        return self.model_bucket_name or self.names.model_bucket(account, region)

    @property
    def model_read_prefix(self) -> str:
        """The only S3 prefix the task role may read (the CI role writes the same one)."""
        return self.model_prefix

    @property
    def model_object_key(self) -> str:
        """Where the deploy publishes the .h5 and the task reads it (docs/MODEL_CONTRACT.md, S3 layout)."""
        if self.model_key is not None:
            return self.model_key
        return model_key(self.model_prefix, self.model_name, self.model_version)

    @property
    def rollout_style(self) -> Rollout:
        """Blue/green in production unless asked otherwise; rolling elsewhere."""
        if self.rollout is not None:
            return self.rollout
        return Rollout.BLUE_GREEN if self.production else Rollout.ROLLING

    @property
    def model_manifest_key(self) -> str:
        """The manifest beside the .h5."""
        return self.model_object_key.removesuffix(".h5") + ".json"

    @property
    def canary_gate(self) -> bool:
        """The canary's alarm is a deployment alarm: as asked, else on where the stack owns DNS.

        With certificateArn the user points DNS at the load balancer after the first deploy; until
        then the canary cannot succeed, so it gates releases once they say so (-c
        canaryGatesReleases=true).
        """
        if self.canary_gates_releases is not None:
            return self.canary_gates_releases
        return self.ingress_mode is not IngressMode.CERTIFICATE

    @property
    def nat_gateway_count(self) -> int:
        """One NAT gateway per AZ by default; none with public task subnets or VPC endpoints."""
        if self.task_subnets is TaskSubnets.PUBLIC or self.vpc_endpoints:
            return 0
        return 2 if self.nat_gateways is None else self.nat_gateways

    @property
    def ingress_mode(self) -> IngressMode:
        """Which public entry the stack builds."""
        if self.domain_name is None:
            return IngressMode.INSECURE_HTTP
        if self.hosted_zone_id is not None:
            return IngressMode.ROUTE53
        return IngressMode.CERTIFICATE


def model_key(prefix: str, name: str, version: str) -> str:
    """`<prefix>/<name>/<version>/<name>-<version>.h5`: one rule for the deploy and the CI grant."""
    return f"{prefix}/{name}/{version}/{name}-{version}.h5"


def context_keys() -> tuple[str, ...]:
    """The CDK context keys the app reads."""
    return model_context_keys(DeployConfig)


def read_context(get: Callable[[str], Any], given: Iterable[str] = ()) -> DeployConfig:
    """Build the config from a context getter (`app.node.try_get_context`); unset keys keep defaults.

    `given`: every key handed to the app; one it does not read is refused with the nearest known.
    """
    return validate_context(DeployConfig, get, given)


__all__ = ["ConfigError", "DeployConfig", "context_keys", "read_context"]
