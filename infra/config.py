"""The deployment's configuration: CDK context keys validated into one typed, frozen object.

`infra/app.py` reads the context once (`read_context`) and passes the result down; no construct
calls `try_get_context`. The fixed numbers the containers and the load balancer agree on are in
infra/contract.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

# Log retention values CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS: Final = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

# Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_MEMORY_MIB: Final[Mapping[int, tuple[int, ...]]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d")
_SEMVER = re.compile(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?")
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_ARN = r"arn:aws[a-z-]*:{service}:[a-z0-9-]+:\d{{12}}:{resource}"
_CERTIFICATE_ARN = re.compile(_ARN.format(service="acm", resource=r"certificate/.+"))
_SECRET_ARN = re.compile(_ARN.format(service="secretsmanager", resource=r"secret:.+"))
_TOPIC_ARN = re.compile(_ARN.format(service="sns", resource=r"[\w-]+"))


class TaskSubnets(StrEnum):
    """Where the tasks run: private subnets behind NAT (default) or public ones (no NAT cost)."""

    PRIVATE = "private"
    PUBLIC = "public"


class IngressMode(StrEnum):
    """How the public endpoint is reached; HTTP_FALLBACK is the flagged no-domain mode."""

    ROUTE53 = "https-route53"  # ACM certificate validated through the hosted zone + alias record
    CERTIFICATE = "https-certificate"  # an existing ACM certificate; DNS is the user's job
    HTTP_FALLBACK = "http-fallback-insecure"  # no domain: plain HTTP on the ALB's own DNS name


class DeployConfig(BaseModel):
    """Everything a deployment may vary. Field `x_y` is CDK context key `xY` (`-c xY=value`)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        protected_namespaces=(),
    )

    region: str = Field("us-east-1", description="AWS region of both stacks")
    domain_name: str | None = Field(None, description="public name, e.g. api.example.com")
    hosted_zone_id: str | None = Field(None, description="Route 53 zone id holding domainName")
    hosted_zone_name: str | None = Field(None, description="that zone's name, e.g. example.com")
    certificate_arn: str | None = Field(
        None, description="existing ACM certificate for domainName, instead of a hosted zone"
    )
    model_bucket_name: str | None = Field(None, description="default: a generated unique name")
    model_name: str = "facesim-lfw"
    model_version: str = "1.2.0"
    model_prefix: str | None = Field(None, description="S3 prefix the task may read; default name")
    model_key: str | None = Field(
        None, description="default <prefix>/<version>/<name>-<version>.h5"
    )
    model_sha256: str | None = Field(None, description="pins the .h5 (MODEL_SHA256)")
    image_tag: str = Field("1.0.0", description="tag of both images in the ECR repositories")
    task_cpu: int = 2048
    task_memory: int = 4096
    desired_count: int = Field(2, ge=1, le=100)
    max_count: int = Field(6, ge=1, le=100)
    task_subnets: TaskSubnets = TaskSubnets.PRIVATE
    nat_gateways: int | None = Field(None, ge=0, le=2, description="default 2 (private) or 0")
    log_retention_days: int = 30
    health_check_grace_seconds: int = Field(120, ge=30, le=900)
    api_key_secret_arn: str | None = Field(None, description="Secrets Manager secret -> API_KEYS")
    alarm_topic_arn: str | None = Field(None, description="SNS topic the alarms notify")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """`-c key=` on the command line means "not given", like leaving the key out."""
        return None if value == "" else value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.fullmatch(value):
            raise ValueError("not an AWS region name (e.g. us-east-1)")
        return value

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
        if value is not None and not _CERTIFICATE_ARN.fullmatch(value):
            raise ValueError("not an ACM certificate ARN")
        return value

    @field_validator("api_key_secret_arn")
    @classmethod
    def _secret_arn(cls, value: str | None) -> str | None:
        if value is not None and not _SECRET_ARN.fullmatch(value):
            raise ValueError("not a Secrets Manager secret ARN")
        return value

    @field_validator("alarm_topic_arn")
    @classmethod
    def _topic_arn(cls, value: str | None) -> str | None:
        if value is not None and not _TOPIC_ARN.fullmatch(value):
            raise ValueError("not an SNS topic ARN")
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
        """Checks that span several keys."""
        allowed = FARGATE_MEMORY_MIB.get(self.task_cpu)
        if allowed is None:
            raise ValueError(f"taskCpu must be one of {sorted(FARGATE_MEMORY_MIB)}")
        if self.task_memory not in allowed:
            raise ValueError(
                f"taskMemory {self.task_memory} is not valid with taskCpu {self.task_cpu}"
            )
        if self.max_count < self.desired_count:
            raise ValueError("maxCount must be >= desiredCount")
        if (self.hosted_zone_id is None) != (self.hosted_zone_name is None):
            raise ValueError("hostedZoneId and hostedZoneName go together")
        zone_or_certificate = self.hosted_zone_name is not None or self.certificate_arn is not None
        if zone_or_certificate and self.domain_name is None:
            raise ValueError("hostedZoneId/hostedZoneName/certificateArn need domainName")
        if self.domain_name is not None:
            if self.hosted_zone_name is None and self.certificate_arn is None:
                raise ValueError("domainName needs hostedZoneId+hostedZoneName or certificateArn")
            zone = self.hosted_zone_name
            if zone is not None and not (
                self.domain_name == zone or self.domain_name.endswith("." + zone)
            ):
                raise ValueError(f"domainName {self.domain_name} is not inside zone {zone}")
        if self.task_subnets is TaskSubnets.PRIVATE and self.nat_gateways == 0:
            raise ValueError("private task subnets need natGateways >= 1 (or taskSubnets=public)")
        if self.task_subnets is TaskSubnets.PUBLIC and self.nat_gateways:
            raise ValueError("taskSubnets=public needs no NAT gateway; leave natGateways unset")
        key = self.model_key
        if key is not None and not (
            key.startswith(self.model_read_prefix + "/") and key.endswith(".h5")
        ):
            raise ValueError(
                f"modelKey must be a .h5 under the readable prefix {self.model_read_prefix}/"
            )
        return self

    @property
    def model_read_prefix(self) -> str:
        """The only S3 prefix the task role may read."""
        return self.model_prefix or self.model_name

    @property
    def model_object_key(self) -> str:
        """Where scripts/publish_model.py puts the .h5 (docs/dev/CONTRACT.md, S3 layout)."""
        if self.model_key is not None:
            return self.model_key
        return f"{self.model_read_prefix}/{self.model_version}/{self.model_name}-{self.model_version}.h5"

    @property
    def nat_gateway_count(self) -> int:
        """One NAT gateway per AZ by default; none when the tasks sit in public subnets."""
        if self.task_subnets is TaskSubnets.PUBLIC:
            return 0
        return 2 if self.nat_gateways is None else self.nat_gateways

    @property
    def ingress_mode(self) -> IngressMode:
        """Which public entry the stack builds."""
        if self.domain_name is None:
            return IngressMode.HTTP_FALLBACK
        if self.hosted_zone_id is not None:
            return IngressMode.ROUTE53
        return IngressMode.CERTIFICATE


class ConfigError(ValueError):
    """The CDK context does not describe a valid deployment; the message names each bad key."""


def context_keys() -> tuple[str, ...]:
    """The CDK context keys the app reads."""
    return tuple(field.alias or name for name, field in DeployConfig.model_fields.items())


def read_context(get: Callable[[str], Any]) -> DeployConfig:
    """Build the config from a context getter (`app.node.try_get_context`); unset keys keep defaults."""
    raw = {key: value for key in context_keys() if (value := get(key)) is not None}
    try:
        return DeployConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}: {message}" if where else message)
        raise ConfigError("invalid CDK context: " + "; ".join(problems)) from exc
