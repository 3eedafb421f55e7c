"""The CDK app: read the context once, build the two stacks, run cdk-nag, synthesize.

Run by the CDK CLI (cdk.json: `.venv/bin/python -m infra.app`); `make synth` works offline.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import App, Environment, Tags

from infra.config import ConfigError, DeployConfig, read_context
from infra.nag import add_aws_solutions_checks, write_acknowledgement_report
from infra.stacks.service import ServiceStack
from infra.stacks.storage import StorageStack

STORAGE_STACK = "FacesimStorage"
SERVICE_STACK = "FacesimService"


def build(app: App, config: DeployConfig) -> tuple[StorageStack, ServiceStack]:
    """Both stacks, in the region of the config; account-agnostic, so synth needs no credentials."""
    env = Environment(region=config.region)
    storage = StorageStack(
        app,
        STORAGE_STACK,
        config=config,
        env=env,
        description="facesim: ECR repositories and the model bucket (deployed first)",
    )
    service = ServiceStack(
        app,
        SERVICE_STACK,
        config=config,
        storage=storage.exports,
        env=env,
        description="facesim: VPC, ECS Fargate service (app + nginx), ALB/TLS, alarms",
    )
    service.add_stack_dependency(storage)
    Tags.of(app).add("project", "facesim")
    return storage, service


def main() -> None:
    """Entry point of `cdk synth` / `cdk deploy`."""
    app = App()
    try:
        config = read_context(app.node.try_get_context)
    except ConfigError as exc:
        sys.exit(str(exc))
    build(app, config)
    add_aws_solutions_checks(app)
    assembly = app.synth()
    write_acknowledgement_report(app, Path(assembly.directory))


if __name__ == "__main__":
    main()
