"""AWS WAF in front of the load balancer: managed rule groups, a rate limit, uploads let through.

Rules, in order:
  0 AmazonIpReputationList      block addresses AWS threat intelligence knows as bad
  1 KnownBadInputsRuleSet       block request patterns of known exploits (Log4j, ...)
  2 CommonRuleSet               OWASP-style checks; its five body rules only *count* (below)
  3 BodyRulesOutsideUploads     block what those body rules matched, except on /predict, /verify
  4 RateLimit                   block an address above wafRateLimit requests per 5 minutes

Why the body rules count: an upload is up to 32 MiB of image bytes (or their base64 in JSON), and
on an ALB WAF inspects only the first 8 KB of a body. SizeRestrictions_BODY blocks any body over
8 KB, i.e. every image upload; the XSS/LFI/RFI/SSRF body patterns can match bytes inside JPEG
metadata. Counting them and re-blocking by their labels everywhere except the two upload routes is
the pattern AWS documents for exempting an upload path ("label match" on the managed rule's
label). The app and nginx enforce the real limits on those routes (size, type, pixels).
"""

from __future__ import annotations

from typing import Final

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

UPLOAD_PATHS: Final = ("/predict", "/verify")
CRS_LABELS: Final = "awswaf:managed:aws:core-rule-set:"
# CommonRuleSet rule name -> the label it adds when it matches.
BODY_RULES: Final = {
    "SizeRestrictions_BODY": "SizeRestrictions_Body",
    "CrossSiteScripting_BODY": "CrossSiteScripting_Body",
    "GenericLFI_BODY": "GenericLFI_Body",
    "GenericRFI_BODY": "GenericRFI_Body",
    "EC2MetaDataSSRF_BODY": "EC2MetaDataSSRF_Body",
}
RATE_LIMITED_BODY: Final = (
    '{"error":{"code":"rate_limited","field":null,'
    '"message":"Too many requests from this address; retry in a few minutes."}}'
)
# Never written to the WAF log: the client's credentials.
REDACTED_HEADERS: Final = ("x-api-key", "authorization")
# Logged: requests a rule blocked or counted (why an upload was blocked, or let through only
# because the body rules count on upload routes). Allowed requests without a match are dropped.
LOGGED_ACTIONS: Final = ("BLOCK", "COUNT", "EXCLUDED_AS_COUNT")
BLOCKED_BODY: Final = (
    '{"error":{"code":"forbidden","field":null,'
    '"message":"The request was refused by the web application firewall."}}'
)


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _managed(
    name: str, priority: int, prefix: str, overrides: list[str] | None = None
) -> wafv2.CfnWebACL.RuleProperty:
    group = wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
        vendor_name="AWS",
        name=name,
        rule_action_overrides=[
            wafv2.CfnWebACL.RuleActionOverrideProperty(
                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
            )
            for rule in overrides or []
        ]
        or None,
    )
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(managed_rule_group_statement=group),
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        visibility_config=_visibility(f"{prefix}-{name}"),
    )


def _block(response_key: str, status: int) -> wafv2.CfnWebACL.RuleActionProperty:
    return wafv2.CfnWebACL.RuleActionProperty(
        block=wafv2.CfnWebACL.BlockActionProperty(
            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                response_code=status, custom_response_body_key=response_key
            )
        )
    )


def _upload_path() -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        or_statement=wafv2.CfnWebACL.OrStatementProperty(
            statements=[
                wafv2.CfnWebACL.StatementProperty(
                    byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                        positional_constraint=constraint,
                        search_string=path if constraint == "EXACTLY" else path + "/",
                        text_transformations=[
                            wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                        ],
                    )
                )
                for path in UPLOAD_PATHS
                for constraint in ("EXACTLY", "STARTS_WITH")
            ]
        )
    )


def _body_rules_outside_uploads(prefix: str) -> wafv2.CfnWebACL.RuleProperty:
    matched = wafv2.CfnWebACL.StatementProperty(
        or_statement=wafv2.CfnWebACL.OrStatementProperty(
            statements=[
                wafv2.CfnWebACL.StatementProperty(
                    label_match_statement=wafv2.CfnWebACL.LabelMatchStatementProperty(
                        scope="LABEL", key=CRS_LABELS + label
                    )
                )
                for label in BODY_RULES.values()
            ]
        )
    )
    not_upload = wafv2.CfnWebACL.StatementProperty(
        not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=_upload_path())
    )
    return wafv2.CfnWebACL.RuleProperty(
        name="BodyRulesOutsideUploads",
        priority=3,
        statement=wafv2.CfnWebACL.StatementProperty(
            and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[matched, not_upload])
        ),
        action=_block("blocked", 403),
        visibility_config=_visibility(f"{prefix}-BodyRulesOutsideUploads"),
    )


def _rate_limit(prefix: str, limit: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name="RateLimit",
        priority=4,
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=limit, aggregate_key_type="IP", evaluation_window_sec=300
            )
        ),
        action=_block("rate_limited", 429),
        visibility_config=_visibility(f"{prefix}-RateLimit"),
    )


class Firewall(Construct):
    """Exposes `web_acl` (REGIONAL), `metric_prefix` and `log_group`; on the load balancer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        load_balancer: elbv2.IApplicationLoadBalancer,
        rate_limit: int,
        log_group_name: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.metric_prefix = name
        json_body = "APPLICATION_JSON"
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            custom_response_bodies={
                "rate_limited": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content=RATE_LIMITED_BODY, content_type=json_body
                ),
                "blocked": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content=BLOCKED_BODY, content_type=json_body
                ),
            },
            rules=[
                _managed("AWSManagedRulesAmazonIpReputationList", 0, name),
                _managed("AWSManagedRulesKnownBadInputsRuleSet", 1, name),
                _managed("AWSManagedRulesCommonRuleSet", 2, name, list(BODY_RULES)),
                _body_rules_outside_uploads(name),
                _rate_limit(name, rate_limit),
            ],
            visibility_config=_visibility(name),
        )
        wafv2.CfnWebACLAssociation(
            self,
            "Association",
            resource_arn=load_balancer.load_balancer_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            # WAF wants the group's ARN without the `:*` CloudFormation's Arn attribute ends in.
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in REDACTED_HEADERS
            ],
            logging_filter=_logging_filter(),
        ).node.add_dependency(self.log_group)


def _logging_filter() -> dict[str, object]:
    """Keep what a rule blocked or counted; drop the rest (the bulk: plain allowed requests)."""
    return {
        "DefaultBehavior": "DROP",
        "Filters": [
            {
                "Behavior": "KEEP",
                "Requirement": "MEETS_ANY",
                "Conditions": [
                    {"ActionCondition": {"Action": action}} for action in LOGGED_ACTIONS
                ],
            }
        ],
    }
