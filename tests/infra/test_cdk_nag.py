"""cdk-nag AWS Solutions checks: zero unacknowledged findings, every acknowledgement explained."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from infra.choices import Rollout
from infra.nag import ACKNOWLEDGEMENT_REPORT, MIN_REASON_LENGTH, acknowledge, acknowledgements
from tests.infra.conftest import Synth

# The review gate: a new acknowledgement must be added here, in the same change, on purpose.
EXPECTED_ACKNOWLEDGED = {
    ("FacesimStorage/AccessLogs/Bucket", "AwsSolutions-S1"),
    ("FacesimService/AccessLogs/Bucket", "AwsSolutions-S1"),
    ("FacesimService/ModelService/ExecutionRole", "AwsSolutions-IAM5[Resource::*]"),
    (
        "FacesimService/ModelService/TaskRole",
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::facesim-{stage}-models-<AWS::AccountId>-"
        "<AWS::Region>/{prefix}/*]",
    ),
    ("FacesimService/ModelService/TaskDefinition", "AwsSolutions-ECS2"),
    ("FacesimService/Ingress/LoadBalancer", "AwsSolutions-EC23"),
    ("FacesimService/Monitoring/AlarmTopic", "AwsSolutions-SNS2"),
    # The Synthetics canary's execution role, as CDK writes it (infra/constructs/canary.py).
    ("FacesimService/Canary/Canary", "AwsSolutions-IAM5[Resource::*]"),
    (
        "FacesimService/Canary/Canary",
        "AwsSolutions-IAM5[Resource::<CanaryArtifacts7ADD0D0B.Arn>/*]",
    ),
    (
        "FacesimService/Canary/Canary",
        "AwsSolutions-IAM5[Resource::arn:aws:logs:{region}:<AWS::AccountId>:log-group:"
        "/aws/lambda/cwsyn-*]",
    ),
}
# Blue/green: ECS's infrastructure role and its right to invoke the hook; the hook's own logs.
BLUE_GREEN = {
    (
        "FacesimService/ModelService/Service",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AmazonECSInfrastructureRolePolicyForLoadBalancers]",
    ),
    (
        "FacesimService/ModelService/Service",
        "AwsSolutions-IAM5[Resource::<ReleaseHookFunctionECC83E6C.Arn>:*]",
    ),
    (
        "FacesimService/ReleaseHook/Role",
        "AwsSolutions-IAM5[Resource::<ReleaseHookLogs6A7C7C1E.Arn>:*]",
    ),
}
# VPC endpoints: the deploy-time lookup of S3's prefix list (task egress to it only).
VPC_ENDPOINTS = {
    ("FacesimService/Network/S3PrefixList", "AwsSolutions-IAM5[Resource::*]"),
    (
        "FacesimService/AWS679f53fac002430cb0da5b7982bd2287",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
    ),
}
# Only when the stack generates the API-key secret (not apiKeys=false, not apiKeySecretArn).
GENERATED_SECRET = ("FacesimService/ApiKeySecret", "AwsSolutions-SMG4")
# CDK's own acknowledgements that are true here (aws-cdk-lib adds them; checked below).
CDK_OWN = {
    ("FacesimService/Network/Vpc/FlowLogs", "CloudFormation-Validate::F3002"),
    ("FacesimService/Network/Vpc/FlowLogs", "CloudFormation-Validate::F3003"),
}


def ours(synth: Synth) -> list[dict[str, str]]:
    return [a for a in acknowledgements(synth.app) if "AwsSolutions-" in a["rule"]]


def test_no_unacknowledged_aws_solutions_findings(any_synth: Synth) -> None:
    report = any_synth.nag.validate_scope(any_synth.app)
    findings = [
        (v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations
    ]
    assert findings == []
    assert report.success


def test_acknowledgements_are_exactly_the_reviewed_set(any_synth: Synth) -> None:
    config = any_synth.config
    found = {(a["path"], a["rule"].removeprefix("Annotation::")) for a in ours(any_synth)}
    expected = {
        (
            path,
            rule.format(prefix=config.model_read_prefix, stage=config.stage, region=config.region),
        )
        for path, rule in EXPECTED_ACKNOWLEDGED
    }
    if config.rollout_style is not Rollout.ROLLING:
        expected |= BLUE_GREEN
    if config.vpc_endpoints:
        expected |= VPC_ENDPOINTS
    if config.api_keys and config.api_key_secret_arn is None:
        expected.add(GENERATED_SECRET)
    assert found == expected


def test_no_acknowledgement_beyond_ours_but_cdks_true_ones(any_synth: Synth) -> None:
    others = {
        (a["path"], a["rule"])
        for a in acknowledgements(any_synth.app)
        if "AwsSolutions-" not in a["rule"]
    }
    assert others == CDK_OWN


def test_no_stack_wide_w3010_acknowledgement(any_synth: Synth) -> None:
    # aws-cdk-lib acknowledges cfn-lint W3010 ("literal AZs ... expected and safe") for a whole
    # stack whenever stack.availabilityZones is read; here the AZs are Fn::GetAZs, so the
    # reason was false and the blanket acknowledgement would hide a real literal AZ.
    rules = [a["rule"] for a in acknowledgements(any_synth.app)]
    assert not [r for r in rules if "W3010" in r]
    for subnet in any_synth.service_resources("AWS::EC2::Subnet").values():
        zone = subnet["Properties"]["AvailabilityZone"]
        assert zone["Fn::Select"][1] == {"Fn::GetAZs": ""}


def test_every_acknowledgement_carries_its_reason(any_synth: Synth) -> None:
    for entry in ours(any_synth):
        assert len(entry["reason"]) >= MIN_REASON_LENGTH, entry


def test_reports_are_written_to_the_cloud_assembly(default_synth: Synth) -> None:
    for name in ("validation-report.json", "policy-validation-report.json", ACKNOWLEDGEMENT_REPORT):
        assert (default_synth.outdir / name).is_file(), name
    written = json.loads((default_synth.outdir / ACKNOWLEDGEMENT_REPORT).read_text())
    assert {(a["path"], a["rule"]) for a in ours(default_synth)} <= {
        (a["path"], a["rule"]) for a in written
    }
    # v2-style audit trail in the template: the task role's policy names its acknowledgement.
    template = json.loads((default_synth.outdir / "FacesimService.template.json").read_text())
    metadata = [
        rule
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert any(r["id"].startswith("AwsSolutions-IAM5[Resource::arn:aws:s3:::") for r in metadata)


def test_the_pack_does_find_problems(bare_stack: Callable[[], Stack]) -> None:
    """Guards against a silently inert pack: an unhardened bucket must be reported."""
    stack = bare_stack()
    s3.Bucket(stack, "Careless")
    report = AwsSolutionsChecks(stack).validate_scope(stack)
    rules = {v.rule_name for v in report.violations}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_acknowledgement_without_a_real_reason_is_refused(bare_stack: Callable[[], Stack]) -> None:
    with pytest.raises(ValueError, match="must explain itself"):
        acknowledge(bare_stack(), "AwsSolutions-S1", "ok")
