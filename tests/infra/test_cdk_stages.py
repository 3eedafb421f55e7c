"""Two stages in one account and region: no name of one may be a name of the other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.names import SERVICE_STACK_ID, STORAGE_STACK_ID
from tests.infra.conftest import ROUTE53_CONTEXT, Synth, resolve_join, synthesize

# Properties that hold an account- or region-wide name (two stages must differ in each).
NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::ECS::TaskDefinition": "Family",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::WAFv2::WebACL": "Name",
    "AWS::Logs::ResourcePolicy": "PolicyName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ECS::Service": "ServiceName",
}


def fixed_names(synth: Synth) -> set[str]:
    """Every explicitly named resource of both stacks, plus stack names and exports."""
    names = {synth.storage.stack_name, synth.service.stack_name}
    for template in (synth.storage_template, synth.service_template):
        as_json: dict[str, Any] = template.to_json()
        for resource in as_json["Resources"].values():
            key = NAME_PROPERTIES.get(resource["Type"])
            if key and key in resource.get("Properties", {}):
                names.add(resolve_join(resource["Properties"][key]))
        for output in as_json.get("Outputs", {}).values():
            if "Export" in output:
                names.add(resolve_join(output["Export"]["Name"]))
    return names


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize({**ROUTE53_CONTEXT, "stage": "staging"}, tmp_path_factory.mktemp("staging"))


def test_staging_and_production_share_no_name(route53_synth: Synth, staging: Synth) -> None:
    production = fixed_names(route53_synth)
    assert len(production) >= 12  # stacks, bucket, 2 repositories, family, 7 alarms, ...
    assert production.isdisjoint(fixed_names(staging))


def test_stack_names_carry_the_stage_but_ids_stay(staging: Synth) -> None:
    assert (staging.storage.stack_name, staging.service.stack_name) == (
        "facesim-staging-storage",
        "facesim-staging-service",
    )
    # The construct ids (cdk.out/<id>.template.json, `cdk deploy <id>`) do not change.
    assert (staging.storage.node.id, staging.service.node.id) == (
        STORAGE_STACK_ID,
        SERVICE_STACK_ID,
    )
    manifest = json.loads((Path(staging.outdir) / "manifest.json").read_text())
    artifact = manifest["artifacts"][SERVICE_STACK_ID]
    assert artifact["properties"]["stackName"] == "facesim-staging-service"
