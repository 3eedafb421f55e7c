"""cdk-nag: the AWS Solutions rule pack at every synth, and the one way this app acknowledges a rule.

cdk-nag 3 runs as a CDK policy-validation plugin (its v2 `reports` option is gone). What lands in
cdk.out/ at every synth:
- validation-report.json and policy-validation-report.json (enabled in cdk.json): unacknowledged
  findings; any error among them also fails `cdk synth`;
- nag-acknowledgements.json (`write_acknowledgement_report`): every acknowledged rule, where, why;
- the same acknowledgements in the templates' resource Metadata (`cdk_nag.rules_to_suppress`).
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 40  # a reason says why the finding does not apply, not just "ok"
ACKNOWLEDGEMENT_REPORT = "nag-acknowledgements.json"


def add_aws_solutions_checks(app: App) -> AwsSolutionsChecks:
    """Register the AWS Solutions pack on the whole app; returns it (tests call validate_scope)."""
    pack = AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    Validations.of(app).add_plugins(pack)
    return pack


def synthesize_checked(app: App) -> Path:
    """cdk-nag on the whole app, synthesize, write the acknowledgement report; the assembly dir."""
    add_aws_solutions_checks(app)
    assembly = Path(app.synth().directory)
    write_acknowledgement_report(app, assembly)
    return assembly


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on a construct and its children, with the reason why."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"the reason for {rule_id} must explain itself: {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledgements(root: IConstruct) -> list[dict[str, str]]:
    """Every acknowledged rule under root (ours and CDK's own): construct path, rule id, reason."""
    found = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != Validations.ACKNOWLEDGED_RULES_METADATA_KEY or not entry.data:
                continue
            for rule, reason in dict(entry.data).items():
                found.append(
                    {"path": construct.node.path, "rule": str(rule), "reason": str(reason)}
                )
    return found


def write_acknowledgement_report(root: IConstruct, outdir: Path) -> Path:
    """Write nag-acknowledgements.json into the cloud assembly directory."""
    path = outdir / ACKNOWLEDGEMENT_REPORT
    path.write_text(json.dumps(acknowledgements(root), indent=2) + "\n", encoding="utf-8")
    return path
