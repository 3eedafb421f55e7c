"""Every name a deployment gives its resources, derived from its stage, so stages live side by side.

Two stages (say `staging` and `production`) in one account and region differ in every name below;
nothing is a fixed, account-wide name. The CDK construct ids of the two stacks stay
`FacesimStorage` / `FacesimService` (the template files in cdk.out/ and `cdk deploy <id>` keep
their names); the CloudFormation stack names carry the stage.

The service stack (and the CI identity stack, infra/ci/) find the storage stack's bucket and
repositories by these names, computed from the same context: no CloudFormation export ties the
stacks together, so replacing the bucket (say, `modelBucketName`) never fails with "export in use".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

STORAGE_STACK_ID: Final = "FacesimStorage"
SERVICE_STACK_ID: Final = "FacesimService"
PRODUCTION_STAGES: Final = frozenset({"prod", "production"})
_STAGE = re.compile(r"[a-z][a-z0-9-]{0,18}[a-z0-9]|[a-z]")


def valid_stage(value: str) -> bool:
    """Lower-case letters, digits and inner '-', at most 20 characters (fits every AWS name)."""
    return _STAGE.fullmatch(value) is not None


def is_production_stage(stage: str) -> bool:
    """Production stages get the strict defaults (no /docs, deletion protection)."""
    return stage in PRODUCTION_STAGES


@dataclass(frozen=True)
class DeployNames:
    """The names of one stage's resources (and of the SSM parameters the stacks share)."""

    stage: str

    @property
    def storage_stack(self) -> str:
        """CloudFormation stack name of the storage stack."""
        return f"facesim-{self.stage}-storage"

    @property
    def service_stack(self) -> str:
        """CloudFormation stack name of the service stack."""
        return f"facesim-{self.stage}-service"

    @property
    def app_repository(self) -> str:
        """ECR repository of the app image."""
        return f"facesim-{self.stage}/app"

    @property
    def nginx_repository(self) -> str:
        """ECR repository of the nginx image."""
        return f"facesim-{self.stage}/nginx"

    def model_bucket(self, account: str, region: str) -> str:
        """Default model bucket name (at most 63 characters: the stage is at most 20).

        Account and region make it unique among buckets; both may be CloudFormation tokens.
        """
        return f"facesim-{self.stage}-models-{account}-{region}"

    @property
    def task_family(self) -> str:
        """The ECS task definition family."""
        return f"facesim-{self.stage}"

    @property
    def prefix(self) -> str:
        """Prefix of alarm, dashboard and web ACL names."""
        return f"facesim-{self.stage}"

    @property
    def canary(self) -> str:
        """The Synthetics canary's name (at most 21 characters: `fs-` and 18 of the stage)."""
        return f"fs-{self.stage}"[:21]

    @property
    def waf_log_group(self) -> str:
        """WAF logs only to log groups whose name starts with aws-waf-logs-."""
        return f"aws-waf-logs-{self.prefix}"

    def alarm(self, what: str) -> str:
        """An alarm name (fixed, so the service's deployment alarms can name it without a cycle)."""
        return f"{self.prefix}-{what}"
