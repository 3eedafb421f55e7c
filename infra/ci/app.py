"""The CI identity app: one stack, deployed once per account by an admin (README, Continuous
deployment). Offline like the main app:

  npx cdk deploy --app ".venv/bin/python -m infra.ci.app" -c githubSubPrefix=repo:OWNER/REPO -c region=...
"""

from __future__ import annotations

import sys

from aws_cdk import App, Environment, Tags

from infra.ci.config import CiConfig, read_ci_context
from infra.ci.stack import CiIdentityStack
from infra.config import ConfigError
from infra.context import given_keys
from infra.nag import synthesize_checked

CI_STACK_ID = "FacesimCiIdentity"


def build(app: App, config: CiConfig) -> CiIdentityStack:
    """The one stack, named by stage (its roles may push to that stage's repositories)."""
    stack = CiIdentityStack(
        app,
        CI_STACK_ID,
        config=config,
        env=Environment(region=config.region),
        stack_name=f"facesim-{config.stage}-ci-identity",
        description=f"facesim {config.stage}: GitHub Actions OIDC provider, deploy and diff roles",
    )
    Tags.of(app).add("project", "facesim")
    return stack


def main() -> None:
    """Entry point of `cdk synth/deploy --app "python -m infra.ci.app"`."""
    app = App()
    try:
        config = read_ci_context(app.node.try_get_context, given_keys(app))
    except ConfigError as exc:
        sys.exit(str(exc))
    build(app, config)
    synthesize_checked(app)


if __name__ == "__main__":
    main()
