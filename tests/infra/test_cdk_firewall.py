"""WAF in front of the ALB: managed groups, the rate rule, and image uploads that still pass."""

from __future__ import annotations

import json
from typing import Any

from infra.constructs.firewall import BODY_RULES, CRS_LABELS, UPLOAD_PATHS
from tests.infra.conftest import Synth


def web_acl(synth: Synth) -> dict[str, Any]:
    return dict(synth.only("AWS::WAFv2::WebACL")["Properties"])


def rules(synth: Synth) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in web_acl(synth)["Rules"]}


def test_the_web_acl_guards_the_load_balancer(any_synth: Synth) -> None:
    acl = web_acl(any_synth)
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["Name"] == f"facesim-{any_synth.config.stage}"
    association = any_synth.only("AWS::WAFv2::WebACLAssociation")["Properties"]
    (alb_id,) = any_synth.service_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert association["ResourceArn"] == {"Ref": alb_id}
    (acl_id,) = any_synth.service_resources("AWS::WAFv2::WebACL")
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_managed_groups_rate_rule_in_order(any_synth: Synth) -> None:
    ordered = sorted(web_acl(any_synth)["Rules"], key=lambda r: r["Priority"])
    assert [r["Name"] for r in ordered] == [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesCommonRuleSet",
        "BodyRulesOutsideUploads",
        "RateLimit",
    ]
    for rule in ordered[:3]:
        assert rule["OverrideAction"] == {"None": {}}  # the groups' own actions apply
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
    for rule in ordered:
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True


def test_body_rules_only_count_so_image_uploads_pass(any_synth: Synth) -> None:
    # SizeRestrictions_BODY blocks any body over 8 KB: every image upload. The body rules count,
    # and are re-blocked by label everywhere except the upload routes.
    group = rules(any_synth)["AWSManagedRulesCommonRuleSet"]["Statement"]
    overrides = group["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    assert {o["Name"]: o["ActionToUse"] for o in overrides} == {
        name: {"Count": {}} for name in BODY_RULES
    }
    assert "SizeRestrictions_BODY" in BODY_RULES


def test_body_rule_matches_are_blocked_outside_the_upload_routes(any_synth: Synth) -> None:
    rule = rules(any_synth)["BodyRulesOutsideUploads"]
    matched, not_upload = rule["Statement"]["AndStatement"]["Statements"]
    labels = {s["LabelMatchStatement"]["Key"] for s in matched["OrStatement"]["Statements"]}
    assert labels == {CRS_LABELS + label for label in BODY_RULES.values()}
    paths = {
        (s["ByteMatchStatement"]["SearchString"], s["ByteMatchStatement"]["PositionalConstraint"])
        for s in not_upload["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    }
    assert paths == {(p, "EXACTLY") for p in UPLOAD_PATHS} | {
        (p + "/", "STARTS_WITH") for p in UPLOAD_PATHS
    }
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 403


def test_the_rate_rule_answers_429_with_our_json_error(any_synth: Synth) -> None:
    rule = rules(any_synth)["RateLimit"]
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == any_synth.config.waf_rate_limit
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    body = web_acl(any_synth)["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert json.loads(body["Content"])["error"]["code"] == "rate_limited"


def test_default_rate_limit_sits_above_nginxs_own(default_synth: Synth) -> None:
    # nginx allows 10 requests/s per address (RATE_LIMIT_RATE); WAF is the coarse flood guard.
    assert 1000 <= default_synth.config.waf_rate_limit <= 10 * 300
