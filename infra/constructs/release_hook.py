"""The pre-traffic hook of a blue/green release: a Lambda that runs the release checks on green.

Its code asset is built at synth from this repository alone: the infra/probe package (standard
library; boto3 comes with the Lambda runtime) and the example files of the served model's kind
(infra/probe/examples.py names them). Nothing is downloaded, so synth stays offline.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Final

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.ingress import TestTraffic
from infra.constructs.log_retention import RETENTION
from infra.nag import acknowledge
from infra.probe import examples
from service.paths import REPO_ROOT

PROBE: Final = REPO_ROOT / "infra" / "probe"
HANDLER: Final = "probe.hook.handler"
# Three attempts of readiness + model + one request per route, each up to 25 s, with pauses.
TIMEOUT: Final = Duration.minutes(5)


def build_bundle(kind: str, into: Path, model: str | None = None) -> Path:
    """The asset directory: probe/ (the package) and probe/examples/<kind>/ (the model's files)."""
    package = into / "probe"
    shutil.copytree(PROBE, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    kind_examples = examples.examples_for(kind, model)
    target = package / "examples" / kind
    target.mkdir(parents=True)
    for name in sorted(kind_examples.file_names):
        shutil.copyfile(REPO_ROOT / kind_examples.source / name, target / name)
    return into


class ReleaseHook(Construct):
    """Exposes `function` and `target` (the ECS lifecycle hook at POST_TEST_TRAFFIC_SHIFT)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_url: str,
        connect_host: str,
        test_traffic: TestTraffic,
        model_kind: str,
        model_name: str,
        model_version: str,
        api_key_secret: secretsmanager.ISecret | None,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        bundle = build_bundle(
            model_kind, Path(tempfile.mkdtemp(prefix="facesim-hook-")), model_name
        )
        log_group = logs.LogGroup(
            self,
            "Logs",
            retention=RETENTION[log_retention_days],
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Its own role, not AWSLambdaBasicExecutionRole: write its one log group, read the key.
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="facesim release hook: write its log group, read the API key",
        )
        log_group.grant_write(role)
        environment = {
            "ENDPOINT_URL": endpoint_url,
            # Through the load balancer's own name: the check works before DNS points there.
            "CONNECT_HOST": connect_host,
            "TEST_HEADER_NAME": test_traffic.header,
            "TEST_HEADER_VALUE": test_traffic.value,
            "MODEL_KIND": model_kind,
            "MODEL_NAME": model_name,
            "MODEL_VERSION": model_version,
        }
        if api_key_secret is not None:
            environment["API_KEY_SECRET_ARN"] = api_key_secret.secret_arn
            api_key_secret.grant_read(role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(bundle)),
            timeout=TIMEOUT,
            memory_size=256,
            role=role,
            log_group=log_group,
            environment=environment,
            description=f"facesim {stack.stack_name}: smoke-test the new tasks before traffic",
        )
        self.target = ecs.DeploymentLifecycleLambdaTarget(
            self.function,
            "PreTrafficHook",
            lifecycle_stages=[ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::<ReleaseHookLogs6A7C7C1E.Arn>:*]",
            "Writing log events needs the log group's streams (<group>:*); the group is this "
            "function's own, created beside it.",
        )
