"""The context keys are validated into DeployConfig once; bad deployments fail before any synth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.choices import IngressMode, Rollout, TaskSubnets
from infra.config import MODEL_PREFIX, ConfigError, DeployConfig, context_keys, read_context
from infra.posture import posture_warnings
from service.config import DEFAULT_MODEL

ZONE = {"domainName": "api.example.com", "hostedZoneId": "Z1ABC", "hostedZoneName": "example.com"}
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/x"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf"


def config_from(context: dict[str, Any]) -> DeployConfig:
    return read_context(context.get)


def test_the_documented_deployment_gets_the_documented_defaults() -> None:
    config = config_from(ZONE)
    assert config.stage == "production" and config.production
    assert (config.task_cpu, config.task_memory) == (2048, 4096)
    assert (config.desired_count, config.max_count) == (2, 6)
    assert config.log_retention_days == 30
    assert config.task_subnets is TaskSubnets.PRIVATE
    assert config.nat_gateway_count == 2
    assert config.health_check_grace_seconds == 120
    assert config.ingress_mode is IngressMode.ROUTE53
    assert config.fargate_spot_percent == 0 and not config.vpc_endpoints
    # Secure by default: API keys on, no /docs in production, deletion protection on.
    assert config.api_keys and not config.docs_enabled and config.deletion_protected


def test_the_default_model_is_the_bundled_one() -> None:
    # One place: service.config.DEFAULT_MODEL (<name>-<version>.h5); the CDK default follows it.
    config = config_from(ZONE)
    name, version = config.model_name, config.model_version
    assert DEFAULT_MODEL.name == f"{name}-{version}.h5"
    assert config.model_object_key == f"models/{name}/{version}/{name}-{version}.h5"
    assert config.model_manifest_key == f"models/{name}/{version}/{name}-{version}.json"
    assert config.model_read_prefix == MODEL_PREFIX == "models"
    manifest = DEFAULT_MODEL.with_suffix(".json")
    if manifest.is_file():  # the file name is the manifest's name and version
        assert (
            json.loads(manifest.read_text())["name"],
            json.loads(manifest.read_text())["version"],
        ) == (
            name,
            version,
        )


def test_without_a_domain_plain_http_must_be_asked_for() -> None:
    with pytest.raises(ConfigError, match="insecureHttp=true"):
        config_from({})
    assert config_from({"insecureHttp": "true"}).ingress_mode is IngressMode.INSECURE_HTTP


def test_non_production_stages_get_docs_and_no_deletion_protection() -> None:
    staging = config_from({**ZONE, "stage": "staging"})
    assert not staging.production
    assert staging.docs_enabled and not staging.deletion_protected
    asked = config_from({**ZONE, "docs": "true", "deletionProtection": "false"})
    assert asked.docs_enabled and not asked.deletion_protected


def test_stage_names_every_resource() -> None:
    names = config_from({**ZONE, "stage": "staging"}).names
    assert (names.storage_stack, names.service_stack) == (
        "facesim-staging-storage",
        "facesim-staging-service",
    )
    assert names.task_family == "facesim-staging"
    assert names.alarm("5xx-rate") == "facesim-staging-5xx-rate"
    assert names.app_repository == "facesim-staging/app"
    assert len(names.model_bucket("123456789012", "ap-southeast-2")) <= 63


def test_posture_warnings_name_each_protection_turned_off() -> None:
    assert posture_warnings(config_from({**ZONE, "alarmEmail": "ops@example.com"})) == []
    insecure = config_from(
        {"insecureHttp": "true", "apiKeys": "false", "docs": "true", "deletionProtection": "false"}
    )
    warnings = " ".join(posture_warnings(insecure))
    for said in ("INSECURE HTTP", "API KEYS OFF", "DOCS ON", "NO ALARM E-MAIL", "DELETION"):
        assert said in warnings


def test_vpc_endpoints_replace_the_nat_gateways() -> None:
    config = config_from({**ZONE, "vpcEndpoints": "true"})
    assert config.nat_gateway_count == 0


def test_context_keys_include_those_the_issues_name() -> None:
    keys = set(context_keys())
    required = {
        "stage",
        "insecureHttp",
        "apiKeys",
        "docs",
        "alarmEmail",
        "fargateSpotPercent",
        "vpcEndpoints",
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
            "insecureHttp": "true",
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
    assert config_from({**ZONE, "taskSubnets": "public"}).nat_gateway_count == 0


def test_model_key_override_stays_under_the_readable_prefix() -> None:
    config = config_from({**ZONE, "modelName": "m", "modelKey": "models/custom/model.h5"})
    assert config.model_object_key == "models/custom/model.h5"
    assert config.model_manifest_key == "models/custom/model.json"


@pytest.mark.parametrize(
    ("context", "complaint"),
    [
        ({"stage": "Prod"}, "stage"),
        ({"stage": "a-very-long-stage-name-x"}, "stage"),
        ({"stage": "staging-"}, "stage"),
        ({**ZONE, "insecureHttp": "true"}, "contradicts domainName"),
        (
            {"domainName": "api.example.com", "certificateArn": CERTIFICATE, "region": "eu-west-1"},
            "certificateArn is in us-east-1, but region is eu-west-1",
        ),
        ({**ZONE, "apiKeySecretArn": SECRET, "region": "eu-west-1"}, "apiKeySecretArn is in"),
        ({**ZONE, "apiKeySecretArn": SECRET, "apiKeys": "false"}, "apiKeys=false"),
        ({**ZONE, "vpcEndpoints": "true", "taskSubnets": "public"}, "vpcEndpoints=true is for"),
        ({**ZONE, "vpcEndpoints": "true", "natGateways": "1"}, "replaces the NAT"),
        ({**ZONE, "alarmEmail": "not-an-address"}, "alarmEmail"),
        ({**ZONE, "fargateSpotPercent": "101"}, "fargateSpotPercent"),
        ({**ZONE, "wafRateLimit": "10"}, "wafRateLimit"),
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
        ({**ZONE, "modelName": "m", "modelKey": "elsewhere/model.h5"}, "readable prefix models/"),
        ({**ZONE, "modelKind": "Face Similarity"}, "modelKind"),
        ({**ZONE, "rollout": "big-bang"}, "rollout"),
        ({**ZONE, "bakeMinutes": "-1"}, "bakeMinutes"),
        ({"logRetentionDays": "10"}, "logRetentionDays"),
        ({**ZONE, "taskSubnets": "private", "natGateways": "0"}, "need natGateways >= 1"),
        ({**ZONE, "taskSubnets": "public", "natGateways": "2"}, "needs no NAT gateway"),
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
    config = config_from(ZONE)
    with pytest.raises(ValueError):
        config.task_cpu = 4096  # type: ignore[misc]


def test_a_model_of_another_name_is_read_under_the_one_shared_prefix() -> None:
    # The CI role writes <modelPrefix>/*: a model named otherwise must land under it too.
    config = config_from({**ZONE, "modelName": "digits-cnn", "modelVersion": "1.0.0"})
    assert config.model_read_prefix == MODEL_PREFIX
    assert config.model_object_key == "models/digits-cnn/1.0.0/digits-cnn-1.0.0.h5"


@pytest.mark.parametrize(
    ("given", "nearest"),
    [("domianName", "domainName"), ("ImageTag", "imageTag"), ("hostedzoneid", "hostedZoneId")],
)
def test_an_unknown_context_key_is_refused_with_the_nearest_known_one(
    given: str, nearest: str
) -> None:
    context = {**ZONE, given: "x"}
    with pytest.raises(
        ConfigError, match=rf"{given}: not a context key .*did you mean {nearest}\?"
    ):
        read_context(context.get, context)


def test_cdk_s_own_context_keys_are_not_refused() -> None:
    context = {
        **ZONE,
        "@aws-cdk/core:enablePartitionLiterals": True,
        "aws:cdk:version-reporting": False,
        "availability-zones:account=1:region=us-east-1": ["a"],
    }
    assert read_context(context.get, context).domain_name == ZONE["domainName"]


def test_production_releases_blue_green_and_other_stages_roll() -> None:
    assert config_from(ZONE).rollout_style is Rollout.BLUE_GREEN
    assert config_from({**ZONE, "stage": "staging"}).rollout_style is Rollout.ROLLING
    assert config_from({**ZONE, "rollout": "rolling"}).rollout_style is Rollout.ROLLING
    assert (
        config_from({**ZONE, "stage": "dev", "rollout": "canary"}).rollout_style is Rollout.CANARY
    )


def test_the_canary_gates_releases_unless_dns_is_the_user_s() -> None:
    assert config_from(ZONE).canary_gate
    certificate = {
        "domainName": "api.example.com",
        "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    }
    assert not config_from(certificate).canary_gate
    assert config_from({**certificate, "canaryGatesReleases": "true"}).canary_gate
