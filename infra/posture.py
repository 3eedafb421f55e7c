"""What a deployment has turned off that production defaults keep on, said before it starts."""

from __future__ import annotations

from infra.choices import IngressMode, Rollout
from infra.config import DeployConfig


def posture_warnings(config: DeployConfig) -> list[str]:
    """One sentence per protection this deployment lacks; empty for the secure defaults."""
    warnings = []
    if config.ingress_mode is IngressMode.INSECURE_HTTP:
        warnings.append(
            "INSECURE HTTP: no domain, so clients reach the load balancer over plain HTTP; "
            "uploads and API keys cross the internet unencrypted (--insecure-http)"
        )
    if not config.api_keys:
        warnings.append("API KEYS OFF: anyone who finds the endpoint can use it (apiKeys=false)")
    if config.docs_enabled and config.production:
        warnings.append(
            f"DOCS ON IN PRODUCTION: /docs and /openapi.json describe the API to anyone "
            f"(stage {config.stage}, docs=true)"
        )
    if config.alarm_email is None:
        warnings.append(
            "NO ALARM E-MAIL: alarms go to the stack's SNS topic, which nobody is subscribed to "
            "yet (--alarm-email, or subscribe to the AlarmTopicArn output)"
        )
    if not config.deletion_protected and config.production:
        warnings.append("DELETION PROTECTION OFF in production (deletionProtection=false)")
    if config.production and config.rollout_style is Rollout.ROLLING:
        warnings.append(
            "ROLLING RELEASES in production: a new release takes traffic without the smoke hook "
            "(rollout=rolling)"
        )
    if not config.canary_gate:
        warnings.append(
            "CANARY DOES NOT GATE RELEASES: once DNS points at the load balancer, deploy with "
            "-c canaryGatesReleases=true (docs/DEPLOY.md, Releases)"
        )
    return warnings
