"""The checks that span several context keys; each refusal names the keys and the way out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from infra.arns import arn_region
from infra.choices import TaskSubnets

if TYPE_CHECKING:  # for the annotations only: infra/config.py imports this module, not the reverse
    from infra.config import DeployConfig

# Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_MEMORY_MIB: Final = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

NEEDS_A_DOMAIN: Final = (
    "HTTPS needs domainName with hostedZoneId+hostedZoneName or certificateArn; to serve plain "
    "HTTP on the load balancer's own name instead, say so with insecureHttp=true "
    "(scripts/deploy.sh --insecure-http)"
)


def check_consistency(config: DeployConfig) -> None:
    """Raise ValueError on the first combination of keys that cannot be deployed."""
    _check_task(config)
    _check_ingress(config)
    _check_network(config)
    _check_secrets(config)
    _check_model(config)


def _check_task(config: DeployConfig) -> None:
    allowed = FARGATE_MEMORY_MIB.get(config.task_cpu)
    if allowed is None:
        raise ValueError(f"taskCpu must be one of {sorted(FARGATE_MEMORY_MIB)}")
    if config.task_memory not in allowed:
        raise ValueError(
            f"taskMemory {config.task_memory} is not valid with taskCpu {config.task_cpu}"
        )
    if config.max_count < config.desired_count:
        raise ValueError("maxCount must be >= desiredCount")


def _check_ingress(config: DeployConfig) -> None:
    if (config.hosted_zone_id is None) != (config.hosted_zone_name is None):
        raise ValueError("hostedZoneId and hostedZoneName go together")
    zone_or_certificate = config.hosted_zone_name is not None or config.certificate_arn is not None
    if zone_or_certificate and config.domain_name is None:
        raise ValueError("hostedZoneId/hostedZoneName/certificateArn need domainName")
    if config.domain_name is None:
        if not config.insecure_http:
            raise ValueError(NEEDS_A_DOMAIN)
        return
    if config.insecure_http:
        raise ValueError("insecureHttp=true contradicts domainName: pick one")
    if config.hosted_zone_name is None and config.certificate_arn is None:
        raise ValueError("domainName needs hostedZoneId+hostedZoneName or certificateArn")
    zone = config.hosted_zone_name
    if zone is not None and not (
        config.domain_name == zone or config.domain_name.endswith("." + zone)
    ):
        raise ValueError(f"domainName {config.domain_name} is not inside zone {zone}")
    _check_region("certificateArn", config.certificate_arn, config.region)


def _check_network(config: DeployConfig) -> None:
    public = config.task_subnets is TaskSubnets.PUBLIC
    if config.vpc_endpoints and public:
        raise ValueError("vpcEndpoints=true is for private task subnets; drop taskSubnets=public")
    if config.vpc_endpoints and config.nat_gateways:
        raise ValueError("vpcEndpoints=true replaces the NAT gateways; leave natGateways unset")
    if not public and not config.vpc_endpoints and config.nat_gateways == 0:
        raise ValueError(
            "private task subnets need natGateways >= 1, vpcEndpoints=true or taskSubnets=public"
        )
    if public and config.nat_gateways:
        raise ValueError("taskSubnets=public needs no NAT gateway; leave natGateways unset")


def _check_secrets(config: DeployConfig) -> None:
    if config.api_key_secret_arn is not None and not config.api_keys:
        raise ValueError("apiKeySecretArn is set but apiKeys=false turns API keys off")
    _check_region("apiKeySecretArn", config.api_key_secret_arn, config.region)


def _check_model(config: DeployConfig) -> None:
    key = config.model_key
    prefix = config.model_read_prefix
    if key is not None and not (key.startswith(prefix + "/") and key.endswith(".h5")):
        raise ValueError(f"modelKey must be a .h5 under the readable prefix {prefix}/")


def _check_region(key: str, arn: str | None, region: str) -> None:
    """An ALB certificate and an ECS secret must live in the stack's own region."""
    if arn is not None and arn_region(arn) != region:
        raise ValueError(f"{key} is in {arn_region(arn)}, but region is {region}")
