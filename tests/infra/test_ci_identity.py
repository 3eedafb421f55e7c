"""The CI identity stack: OIDC trust pinned to one repository's deploy environment and pull
requests, the deploy role limited to the bootstrap roles, two repositories and the model prefix."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, assertions
from cdk_nag import AwsSolutionsChecks

from infra.ci.app import build
from infra.ci.config import read_ci_context
from infra.ci.stack import CiIdentityStack
from infra.config import MODEL_PREFIX, ConfigError, read_context
from infra.deploy_plan import model_context
from infra.nag import acknowledgements, add_aws_solutions_checks
from tests.infra.conftest import CDK_JSON_CONTEXT, REPO, resolve_join

SUB = "repo:acme/facesim"
CONTEXT = {"githubSubPrefix": SUB, "region": "eu-west-1"}
PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def synth(context: dict[str, str]) -> tuple[CiIdentityStack, assertions.Template, App]:
    app = App(context={**CDK_JSON_CONTEXT, **context})
    stack = build(app, read_ci_context(app.node.try_get_context))
    add_aws_solutions_checks(app)
    return stack, assertions.Template.from_stack(stack), app


@pytest.fixture(scope="module")
def ci() -> tuple[CiIdentityStack, assertions.Template, App]:
    return synth(CONTEXT)


def role(template: assertions.Template, stack: CiIdentityStack, which: str) -> dict[str, Any]:
    logical = stack.get_logical_id(getattr(stack, which).node.default_child)
    return dict(template.find_resources("AWS::IAM::Role")[logical]["Properties"])


def statements(template: assertions.Template, stack: CiIdentityStack, which: str) -> list[Any]:
    logical = stack.get_logical_id(getattr(stack, which).node.default_child)
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": logical} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def resources(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    return [resolve_join(r) for r in (value if isinstance(value, list) else [value])]


def test_the_github_oidc_provider_is_native_with_the_sts_audience(ci: Any) -> None:
    _stack, template, _ = ci
    template.has_resource_properties(
        "AWS::IAM::OIDCProvider",
        {
            "Url": "https://token.actions.githubusercontent.com",
            "ClientIdList": ["sts.amazonaws.com"],
        },
    )
    template.resource_count_is("AWS::Lambda::Function", 0)  # not the custom-resource provider


def test_an_existing_provider_is_imported_not_created() -> None:
    stack, template, _ = synth({**CONTEXT, "githubOidcProviderArn": PROVIDER_ARN})
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    trust = role(template, stack, "deploy_role")["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Federated": PROVIDER_ARN}


@pytest.mark.parametrize(
    ("which", "subject"),
    [("deploy_role", f"{SUB}:environment:production"), ("diff_role", f"{SUB}:pull_request")],
)
def test_each_role_trusts_exactly_one_subject_with_the_audience_pinned(
    ci: Any, which: str, subject: str
) -> None:
    stack, template, _ = ci
    (trust,) = role(template, stack, which)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
        }
    }
    (provider_id,) = template.find_resources("AWS::IAM::OIDCProvider")
    assert trust["Principal"] == {"Federated": {"Ref": provider_id}}


def bootstrap(kind: str) -> str:
    return (
        "arn:aws:iam::{ref:AWS::AccountId}:role/cdk-hnb659fds-"
        f"{kind}-role-{{ref:AWS::AccountId}}-{{ref:AWS::Region}}"
    )


def test_the_diff_role_may_only_assume_the_lookup_role(ci: Any) -> None:
    stack, template, _ = ci
    (statement,) = statements(template, stack, "diff_role")
    assert actions(statement) == ["sts:AssumeRole"]
    assert resources(statement) == [bootstrap("lookup")]


def test_the_deploy_role_may_do_exactly_what_a_deploy_needs(ci: Any) -> None:
    stack, template, _ = ci
    granted: dict[str, set[str]] = {}
    for statement in statements(template, stack, "deploy_role"):
        assert statement["Effect"] == "Allow"
        for action in actions(statement):
            granted.setdefault(action, set()).update(resources(statement))
    assert granted.pop("sts:AssumeRole") == {
        bootstrap(kind) for kind in ("deploy", "file-publishing", "lookup")
    }
    assert granted.pop("ecr:GetAuthorizationToken") == {"*"}
    bucket = "facesim-production-models-{ref:AWS::AccountId}-{ref:AWS::Region}"
    objects = {f"arn:aws:s3:::{bucket}/{MODEL_PREFIX}/*"}
    assert granted.pop("s3:PutObject") == objects
    assert granted.pop("s3:GetObject") == objects
    # The stage's two stacks' outputs, for the rollback command (and nothing else of CloudFormation).
    assert granted.pop("cloudformation:DescribeStacks") == {
        f"arn:aws:cloudformation:{{ref:AWS::Region}}:{{ref:AWS::AccountId}}:stack/{name}/*"
        for name in ("facesim-production-storage", "facesim-production-service")
    }
    repositories = {
        f"arn:aws:ecr:eu-west-1:{{ref:AWS::AccountId}}:repository/{name}"
        for name in ("facesim-production/app", "facesim-production/nginx")
    }
    pushes = {
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "ecr:DescribeImages",
    }
    assert set(granted) == pushes
    for action in pushes:
        assert granted[action] == repositories
    assert not [a for a in granted if a.startswith(("iam:", "cloudformation:", "secretsmanager:"))]


def test_cdk_nag_has_no_unacknowledged_finding_and_only_the_reviewed_ones(ci: Any) -> None:
    _stack, _, app = ci
    report = AwsSolutionsChecks(app).validate_scope(app)
    assert [v.rule_name for v in report.violations] == []
    found = {(a["path"], a["rule"]) for a in acknowledgements(app) if "AwsSolutions" in a["rule"]}
    assert found == {
        ("FacesimCiIdentity/DeployRole", "Annotation::AwsSolutions-IAM5[Resource::*]"),
        (
            "FacesimCiIdentity/DeployRole",
            "Annotation::AwsSolutions-IAM5[Resource::arn:aws:s3:::"
            f"facesim-production-models-<AWS::AccountId>-<AWS::Region>/{MODEL_PREFIX}/*]",
        ),
        *(
            (
                "FacesimCiIdentity/DeployRole",
                "Annotation::AwsSolutions-IAM5[Resource::arn:aws:cloudformation:<AWS::Region>:"
                f"<AWS::AccountId>:stack/facesim-production-{which}/*]",
            )
            for which in ("storage", "service")
        ),
    }


def test_outputs_are_the_two_role_arns_for_the_repository_variables(ci: Any) -> None:
    _, template, _ = ci
    assert set(template.find_outputs("*")) == {"DeployRoleArn", "DiffRoleArn"}


@pytest.mark.parametrize(
    ("context", "complaint"),
    [
        ({}, "githubSubPrefix"),
        ({"githubSubPrefix": "acme/facesim"}, "githubSubPrefix"),
        ({"githubSubPrefix": "repo:acme/facesim:ref:refs/heads/main"}, "githubSubPrefix"),
        ({**CONTEXT, "githubOidcProviderArn": "arn:aws:iam::1:oidc-provider/x"}, "githubOidc"),
        ({**CONTEXT, "bootstrapQualifier": "Has-Caps"}, "bootstrapQualifier"),
    ],
)
def test_bad_context_is_refused(context: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        read_ci_context(context.get)


def test_the_immutable_sub_form_is_accepted() -> None:
    config = read_ci_context({"githubSubPrefix": "repo:acme@123/facesim@456"}.get)
    assert config.deploy_subject == "repo:acme@123/facesim@456:environment:production"


def publishable_models() -> list[Path]:
    """Every model deploy.sh can be given: the repository's, and the one deploy.yml shows."""
    workflow = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    shown = re.findall(r"e\.g\. (models/[\w.-]+\.h5)", workflow)
    assert shown, "deploy.yml's model input gives an example"
    return sorted({*(REPO / "models").glob("*.h5"), *(REPO / path for path in shown)})


@pytest.mark.parametrize("model", publishable_models(), ids=lambda path: path.name)
def test_the_ci_deploy_role_may_write_every_key_deploy_sh_publishes(ci: Any, model: Path) -> None:
    # deploy.sh publishes at the plan's keys, computed from the model's own manifest; the CI role
    # (default context, like the deploy workflow's) must be allowed to put both objects there.
    stack, template, _ = ci
    assert model.is_file(), f"{model.name} (named in deploy.yml) is not in the repository"
    context = {"insecureHttp": "true", **model_context(model)}
    config = read_context(context.get)
    bucket = "facesim-production-models-{ref:AWS::AccountId}-{ref:AWS::Region}"
    writable = [
        pattern
        for statement in statements(template, stack, "deploy_role")
        if "s3:PutObject" in actions(statement)
        for pattern in resources(statement)
    ]
    for key in (config.model_object_key, config.model_manifest_key):
        arn = f"arn:aws:s3:::{bucket}/{key}"
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in writable), (key, writable)
