"""The storage stack: the model bucket and the two ECR repositories (FacesimStorage)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from aws_cdk import Stack, assertions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match

from infra.constructs.model_store import ModelStore, grant_model_read
from tests.infra.conftest import Synth, resolve_join, synthesize


def model_bucket_id(synth: Synth) -> str:
    stack = synth.storage
    return stack.get_logical_id(synth.storage.model_store.bucket.node.default_child)  # type: ignore[arg-type]


def test_model_bucket_is_private_encrypted_versioned_and_logged(default_synth: Synth) -> None:
    bucket = default_synth.storage_resources("AWS::S3::Bucket")[model_bucket_id(default_synth)]
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"] != model_bucket_id(
        default_synth
    )
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_model_bucket_is_retained_when_the_stack_is_deleted(default_synth: Synth) -> None:
    bucket = default_synth.storage_resources("AWS::S3::Bucket")[model_bucket_id(default_synth)]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_model_bucket_policy_denies_anything_but_tls_1_2(default_synth: Synth) -> None:
    bucket_id = model_bucket_id(default_synth)
    policies = [
        p
        for p in default_synth.storage_resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    denies = {
        json_key(s["Condition"]): s
        for s in statements
        if s["Effect"] == "Deny"
        and s.get("Sid")
        not in {"WriteOnceExceptTheLatestPointer", "PublishedModelsAreNeverDeleted"}
    }
    assert denies.keys() == {"Bool:aws:SecureTransport", "NumericLessThan:s3:TlsVersion"}
    tls = denies["Bool:aws:SecureTransport"]
    assert tls["Action"] == "s3:*" and tls["Principal"] == {"AWS": "*"}
    assert tls["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    assert (
        denies["NumericLessThan:s3:TlsVersion"]["Condition"]["NumericLessThan"]["s3:TlsVersion"]
        == 1.2
    )
    assert not [
        s for s in statements if s["Effect"] == "Allow" and s.get("Principal") == {"AWS": "*"}
    ]


def json_key(condition: dict[str, dict[str, object]]) -> str:
    ((operator, keys),) = condition.items()
    (key,) = keys
    return f"{operator}:{key}"


def write_once(synth: Synth, sid: str = "WriteOnceExceptTheLatestPointer") -> dict[str, object]:
    bucket_id = model_bucket_id(synth)
    (policy,) = [
        p
        for p in synth.storage_resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (statement,) = [s for s in statements if s.get("Sid") == sid]
    return dict(statement)


def test_published_objects_cannot_be_overwritten(default_synth: Synth) -> None:
    # A running task definition pins the .h5's sha256: new bytes over the same key would make
    # every new task (and every rollback) fail its checksum. Writes must be create-only.
    statement = write_once(default_synth)
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Action"] == "s3:PutObject"
    assert statement["Condition"] == {
        "Null": {"s3:if-none-match": "true"},
        "Bool": {"s3:ObjectCreationOperation": "true"},
    }
    # ...except the latest.json pointer, which exists to be moved.
    assert "Resource" not in statement
    assert resolve_join(statement["NotResource"]).endswith("/*/latest.json")


def test_the_default_bucket_name_carries_stage_account_and_region(default_synth: Synth) -> None:
    bucket = default_synth.storage_resources("AWS::S3::Bucket")[model_bucket_id(default_synth)]
    assert resolve_join(bucket["Properties"]["BucketName"]) == (
        "facesim-production-models-{ref:AWS::AccountId}-{ref:AWS::Region}"
    )


def test_a_named_bucket_uses_the_name_in_both_stacks(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    synth = synthesize(
        {"insecureHttp": "true", "modelBucketName": "acme-facesim-models"},
        tmp_path_factory.mktemp("named"),
    )
    synth.storage_template.has_resource_properties(
        "AWS::S3::Bucket",
        {"BucketName": "acme-facesim-models", "VersioningConfiguration": {"Status": "Enabled"}},
    )
    # The service stack follows by name: replacing the bucket needs no export to move.
    task = synth.only("AWS::ECS::TaskDefinition")["Properties"]
    (app,) = [c for c in task["ContainerDefinitions"] if c["Name"] == "app"]
    model_uri = {e["Name"]: e["Value"] for e in app["Environment"]}["MODEL_URI"]
    assert model_uri.startswith("s3://acme-facesim-models/")


def test_ecr_repositories_scan_on_push_with_lifecycle_and_immutable_tags(
    default_synth: Synth,
) -> None:
    template = default_synth.storage_template
    template.resource_count_is("AWS::ECR::Repository", 2)
    template.all_resources_properties(
        "AWS::ECR::Repository",
        {
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "ImageTagMutability": "IMMUTABLE",
            "LifecyclePolicy": {
                "LifecyclePolicyText": Match.serialized_json(
                    {
                        "rules": [
                            Match.object_like(
                                {
                                    "rulePriority": 1,
                                    "selection": Match.object_like(
                                        {"tagStatus": "untagged", "countType": "sinceImagePushed"}
                                    ),
                                }
                            )
                        ]
                    }
                )
            },
        },
    )
    template.all_resources("AWS::ECR::Repository", {"DeletionPolicy": "Retain"})


def test_no_lifecycle_rule_can_expire_a_tagged_image(any_synth: Synth) -> None:
    # "Keep the newest N" expired the tag the running task definition (or a rollback) pulls.
    for repository in any_synth.storage_resources("AWS::ECR::Repository").values():
        policy = json.loads(repository["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"])
        assert {r["selection"]["tagStatus"] for r in policy["rules"]} == {"untagged"}


def test_repositories_are_named_by_stage(any_synth: Synth) -> None:
    names = sorted(
        r["Properties"]["RepositoryName"]
        for r in any_synth.storage_resources("AWS::ECR::Repository").values()
    )
    stage = any_synth.config.stage
    assert names == [f"facesim-{stage}/app", f"facesim-{stage}/nginx"]


def test_the_stacks_share_nothing_through_exports(any_synth: Synth) -> None:
    # A fixed-name export blocks replacing what it exports ("export ... in use"): the service
    # stack derives the names from the same context instead.
    outputs = any_synth.storage_template.find_outputs("*")
    assert not [key for key, out in outputs.items() if "Export" in out]
    assert not [
        key for key, out in any_synth.service_template.find_outputs("*").items() if "Export" in out
    ]
    assert find_imports(any_synth.service_template.to_json()) == []
    for key in ("ModelBucketName", "AppRepositoryUri", "NginxRepositoryUri"):
        assert key in outputs  # scripts/deploy.sh reads these


def find_imports(node: object) -> list[str]:
    if isinstance(node, dict):
        if "Fn::ImportValue" in node:
            return [node["Fn::ImportValue"]]
        return [i for v in node.values() for i in find_imports(v)]
    if isinstance(node, list):
        return [i for v in node for i in find_imports(v)]
    return []


def test_grant_model_read_alone_is_get_object_on_the_prefix(
    bare_stack: Callable[[], Stack],
) -> None:
    stack = bare_stack()
    logs = s3.Bucket(stack, "Logs")
    store = ModelStore(stack, "Store", bucket_name="models", access_logs=logs)
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    grant_model_read(bucket=store.bucket, prefix="facesim-lfw", grantee=role)
    bucket_id = stack.get_logical_id(store.bucket.node.default_child)  # type: ignore[arg-type]
    assertions.Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "s3:GetObject",
                        "Effect": "Allow",
                        "Resource": {
                            "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/facesim-lfw/*"]]
                        },
                    }
                ],
                "Version": "2012-10-17",
            },
            "Roles": [{"Ref": stack.get_logical_id(role.node.default_child)}],  # type: ignore[arg-type]
        },
    )


def test_nobody_may_delete_a_published_model_object(default_synth: Synth) -> None:
    # A delete would free the key for other bytes (write-once alone checks only existence) and,
    # with versioning, could remove the very version a task definition pins.
    statement = write_once(default_synth, "PublishedModelsAreNeverDeleted")
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert sorted(statement["Action"]) == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    assert "Condition" not in statement
    assert resolve_join(statement["NotResource"]).endswith("/*/latest.json")
