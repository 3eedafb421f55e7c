"""cdk-nag: the AWS Solutions rule pack at every synth, and the one way this app acknowledges a rule.

cdk-nag 3 runs as a CDK policy-validation plugin. Its findings go to cdk.out/validation-report.json
(and policy-validation-report.json, enabled in cdk.json), with every acknowledgement and its
reason; an unacknowledged error fails `cdk synth`. The acknowledgements are also written into the
templates' resource Metadata (`cdk_nag.rules_to_suppress`) so a reviewer sees them in CloudFormation.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 40  # a reason says why the finding does not apply, not just "ok"


def add_aws_solutions_checks(app: App) -> AwsSolutionsChecks:
    """Register the AWS Solutions pack on the whole app; returns it (tests call validate_scope)."""
    pack = AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    Validations.of(app).add_plugins(pack)
    return pack


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on a construct and its children, with the reason why."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"the reason for {rule_id} must explain itself: {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
