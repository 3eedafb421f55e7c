"""The context keys are validated into DeployConfig once; bad deployments fail before any synth."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import (
    ConfigError,
    DeployConfig,
    IngressMode,
    TaskSubnets,
    context_keys,
    read_context,
)


def config_from(context: dict[str, Any]) -> DeployConfig:
    return read_context(context.get)


def test_no_context_gives_the_documented_defaults() -> None:
    config = config_from({})
    assert (config.task_cpu, config.task_memory) == (2048, 4096)
    assert (config.desired_count, config.max_count) == (2, 6)
    assert config.log_retention_days == 30
    assert config.task_subnets is TaskSubnets.PRIVATE
    assert config.nat_gateway_count == 2
    assert config.health_check_grace_seconds == 120
    assert config.ingress_mode is IngressMode.HTTP_FALLBACK
    assert config.model_object_key == "facesim-lfw/1.2.0/facesim-lfw-1.2.0.h5"
    assert config.model_read_prefix == "facesim-lfw"


def test_context_keys_include_those_the_issue_names() -> None:
    keys = set(context_keys())
    required = {
        "domainName",
        "hostedZoneId",
        "hostedZoneName",
        "modelBucketName",
        "modelKey",
        "modelVersion",
        "imageTag",
        "taskCpu",
        "taskMemory",
        "desiredCount",
        "maxCount",
        "apiKeySecretArn",
    }
    assert required <= keys


def test_cli_strings_are_coerced_and_empty_means_unset() -> None:
    config = config_from(
        {
            "taskCpu": "4096",
            "taskMemory": "8192",
            "desiredCount": "3",
            "maxCount": "9",
            "domainName": "",
            "natGateways": "1",
        }
    )
    assert (config.task_cpu, config.task_memory, config.desired_count) == (4096, 8192, 3)
    assert config.domain_name is None
    assert config.nat_gateway_count == 1


def test_domain_modes() -> None:
    route53 = config_from(
        {"domainName": "API.Example.com.", "hostedZoneId": "Z1ABC", "hostedZoneName": "example.com"}
    )
    assert route53.ingress_mode is IngressMode.ROUTE53
    assert route53.domain_name == "api.example.com"
    certificate = config_from(
        {
            "domainName": "api.example.com",
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
        }
    )
    assert certificate.ingress_mode is IngressMode.CERTIFICATE


def test_public_task_subnets_need_no_nat() -> None:
    assert config_from({"taskSubnets": "public"}).nat_gateway_count == 0


def test_model_key_override_stays_under_the_readable_prefix() -> None:
    config = config_from({"modelKey": "facesim-lfw/custom/model.h5"})
    assert config.model_object_key == "facesim-lfw/custom/model.h5"


@pytest.mark.parametrize(
    ("context", "complaint"),
    [
        ({"taskCpu": "1000"}, "taskCpu must be one of"),
        ({"taskCpu": "2048", "taskMemory": "2048"}, "not valid with taskCpu 2048"),
        ({"desiredCount": "4", "maxCount": "3"}, "maxCount must be >= desiredCount"),
        ({"desiredCount": "0"}, "desiredCount"),
        ({"domainName": "api.example.com"}, "needs hostedZoneId+hostedZoneName or certificateArn"),
        ({"hostedZoneId": "Z1ABC"}, "go together"),
        ({"hostedZoneId": "Z1ABC", "hostedZoneName": "example.com"}, "need domainName"),
        (
            {
                "domainName": "api.other.org",
                "hostedZoneId": "Z1ABC",
                "hostedZoneName": "example.com",
            },
            "not inside zone example.com",
        ),
        ({"hostedZoneId": "not-a-zone", "hostedZoneName": "example.com"}, "hostedZoneId"),
        ({"domainName": "not a domain", "certificateArn": "x"}, "domainName"),
        ({"region": "moon-1"}, "region"),
        ({"imageTag": "has space"}, "imageTag"),
        ({"modelVersion": "v1"}, "modelVersion"),
        ({"modelSha256": "abc"}, "modelSha256"),
        ({"modelKey": "elsewhere/model.h5"}, "readable prefix facesim-lfw/"),
        ({"logRetentionDays": "10"}, "logRetentionDays"),
        ({"taskSubnets": "private", "natGateways": "0"}, "need natGateways >= 1"),
        ({"taskSubnets": "public", "natGateways": "2"}, "needs no NAT gateway"),
        ({"taskSubnets": "dmz"}, "taskSubnets"),
        ({"apiKeySecretArn": "arn:aws:s3:::bucket"}, "apiKeySecretArn"),
        ({"modelBucketName": "Bad_Bucket"}, "modelBucketName"),
    ],
)
def test_invalid_context_is_refused_with_the_key_named(
    context: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match="invalid CDK context") as excinfo:
        config_from(context)
    assert complaint in str(excinfo.value)


def test_config_is_frozen() -> None:
    config = config_from({})
    with pytest.raises(ValueError):
        config.task_cpu = 4096  # type: ignore[misc]
