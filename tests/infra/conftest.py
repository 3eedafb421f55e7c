"""Synthesize the CDK app offline, once per context variant (each synth costs seconds)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Quiet the jsii banner about this machine's Node 20 (a comma list of majors); set before aws_cdk
# starts its Node process.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Stack, assertions
from cdk_nag import AwsSolutionsChecks

from infra.app import build
from infra.config import DeployConfig, read_context
from infra.deploy_plan import write_plan
from infra.nag import add_aws_solutions_checks, write_acknowledgement_report
from infra.stacks.service import ServiceStack
from infra.stacks.storage import StorageStack
from service.paths import REPO_ROOT as REPO

# The feature flags the real app synthesizes with (cdk.json), so tests see the same templates.
CDK_JSON_CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]

# The least a deployment must say: no domain, so plain HTTP has to be asked for by name.
DEFAULT_CONTEXT = {"insecureHttp": "true"}
ROUTE53_CONTEXT = {
    "domainName": "api.example.com",
    "hostedZoneId": "Z123456ABCDEFG",
    "hostedZoneName": "example.com",
}
# Everything optional at once: a staging stage, public task subnets, an existing certificate,
# the user's own API-key secret, an alarm e-mail, Fargate Spot.
OPTIONS_CONTEXT = {
    "stage": "staging",
    "domainName": "facesim.example.org",
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abcd-1234",
    "region": "eu-west-1",
    "taskSubnets": "public",
    "apiKeySecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:facesim-keys-AbCdEf",
    "alarmEmail": "oncall@example.org",
    "fargateSpotPercent": "75",
    "modelPrefix": "models",
    "modelVersion": "2.1.0",
    "modelSha256": "ab" * 32,
    "imageTag": "git-0123456789ab",
    "taskCpu": "1024",
    "taskMemory": "3072",
    "desiredCount": "1",
    "maxCount": "3",
    "logRetentionDays": "14",
    "wafRateLimit": "500",
}
# Interface endpoints instead of NAT, with the protections a production stage may turn off.
ENDPOINTS_CONTEXT = {
    **ROUTE53_CONTEXT,
    "vpcEndpoints": "true",
    "apiKeys": "false",
    "docs": "true",
    "deletionProtection": "false",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/infra carries the `infra` marker (`pytest -m infra`)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.infra)


@dataclass(frozen=True)
class Synth:
    """One synthesized app: its config, stacks, templates, cdk-nag pack and assembly directory."""

    config: DeployConfig
    app: App
    storage: StorageStack
    service: ServiceStack
    storage_template: assertions.Template
    service_template: assertions.Template
    nag: AwsSolutionsChecks
    outdir: Path

    def service_resources(self, resource_type: str) -> dict[str, Any]:
        """The service stack's resources of one CloudFormation type, by logical id."""
        return dict(self.service_template.find_resources(resource_type))

    def storage_resources(self, resource_type: str) -> dict[str, Any]:
        """The storage stack's resources of one CloudFormation type, by logical id."""
        return dict(self.storage_template.find_resources(resource_type))

    def only(self, resource_type: str) -> dict[str, Any]:
        """The service stack's single resource of a type (fails if there are more or none)."""
        found = self.service_resources(resource_type)
        assert len(found) == 1, f"{resource_type}: {sorted(found)}"
        return next(iter(found.values()))


def synthesize(context: Mapping[str, Any], outdir: Path) -> Synth:
    """What `cdk synth` does (infra/app.py main), in-process, with the given CLI context."""
    app = App(context={**CDK_JSON_CONTEXT, **context}, outdir=str(outdir))
    config = read_context(app.node.try_get_context)
    storage, service = build(app, config)
    nag = add_aws_solutions_checks(app)
    assembly = app.synth()
    write_acknowledgement_report(app, Path(assembly.directory))
    write_plan(config, Path(assembly.directory))
    return Synth(
        config=config,
        app=app,
        storage=storage,
        service=service,
        storage_template=assertions.Template.from_stack(storage),
        service_template=assertions.Template.from_stack(service),
        nag=nag,
        outdir=Path(assembly.directory),
    )


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Every default, and the flagged plain HTTP asked for (there is no domain)."""
    return synthesize(DEFAULT_CONTEXT, tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def route53_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The documented deployment: a domain in a Route 53 zone."""
    return synthesize(ROUTE53_CONTEXT, tmp_path_factory.mktemp("cdk-route53"))


@pytest.fixture(scope="session")
def options_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Every optional key set (see OPTIONS_CONTEXT)."""
    return synthesize(OPTIONS_CONTEXT, tmp_path_factory.mktemp("cdk-options"))


@pytest.fixture(scope="session")
def endpoints_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """VPC interface endpoints instead of NAT; API keys, docs and deletion protection turned off."""
    return synthesize(ENDPOINTS_CONTEXT, tmp_path_factory.mktemp("cdk-endpoints"))


@pytest.fixture(params=["default", "route53", "options", "endpoints"])
def any_synth(request: pytest.FixtureRequest) -> Synth:
    """Each context variant in turn, for properties that must hold in all of them."""
    return request.getfixturevalue(f"{request.param}_synth")  # type: ignore[no-any-return]


@pytest.fixture
def bare_stack() -> Iterator[Callable[[], Stack]]:
    """A factory of empty stacks in a fresh app, to synthesize one construct on its own."""

    def make() -> Stack:
        app = App(context=CDK_JSON_CONTEXT)
        return Stack(app, "Bare", env={"region": "us-east-1"})

    yield make


def resolve_join(value: Any) -> str:
    """Render a CloudFormation string (plain or Fn::Join of strings, Refs and imports) readably."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return str(sep).join(resolve_join(p) for p in parts)
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return "{import:" + str(value["Fn::ImportValue"]) + "}"
    if isinstance(value, dict) and "Ref" in value:
        return "{ref:" + str(value["Ref"]) + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "{getatt:" + ".".join(value["Fn::GetAtt"]) + "}"
    return json.dumps(value, sort_keys=True)
