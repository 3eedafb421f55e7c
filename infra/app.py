"""The CDK app: read the context once, build the two stacks, run cdk-nag, synthesize.

Run by the CDK CLI (cdk.json: `.venv/bin/python -m infra.app`); `make synth` works offline. Next to
the templates the assembly holds deploy-plan.json (what scripts/deploy.sh pushes, publishes and
deploys) and nag-acknowledgements.json.
"""

from __future__ import annotations

import sys

from aws_cdk import Annotations, App, Environment, Tags

from infra.config import ConfigError, DeployConfig, read_context
from infra.context import given_keys
from infra.deploy_plan import write_plan
from infra.nag import synthesize_checked
from infra.names import SERVICE_STACK_ID, STORAGE_STACK_ID
from infra.posture import posture_warnings
from infra.stacks.service import ServiceStack
from infra.stacks.storage import StorageStack


def build(app: App, config: DeployConfig) -> tuple[StorageStack, ServiceStack]:
    """Both stacks of one stage, in its region; account-agnostic, so synth needs no credentials."""
    env = Environment(region=config.region)
    names = config.names
    storage = StorageStack(
        app,
        STORAGE_STACK_ID,
        config=config,
        env=env,
        stack_name=names.storage_stack,
        description=f"facesim {config.stage}: ECR repositories and the model bucket (first)",
    )
    service = ServiceStack(
        app,
        SERVICE_STACK_ID,
        config=config,
        env=env,
        stack_name=names.service_stack,
        description=f"facesim {config.stage}: VPC, ECS Fargate (app + nginx), ALB/TLS, WAF, alarms",
    )
    service.add_stack_dependency(storage)
    for warning in posture_warnings(config):
        Annotations.of(service).add_warning_v2("facesim:posture", warning)
    Tags.of(app).add("project", "facesim")
    Tags.of(app).add("stage", config.stage)
    return storage, service


def main() -> None:
    """Entry point of `cdk synth` / `cdk deploy`."""
    app = App()
    try:
        config = read_context(app.node.try_get_context, given_keys(app))
    except ConfigError as exc:
        sys.exit(str(exc))
    build(app, config)
    write_plan(config, synthesize_checked(app))


if __name__ == "__main__":
    main()
