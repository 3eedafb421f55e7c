"""Releases: ECS's blue/green controller with a test rule, the pre-traffic hook, a bake time
watched by the alarms, the outside-in canary and the WAF log, as synthesized."""

from __future__ import annotations

from typing import Any

from infra.constructs.firewall import REDACTED_HEADERS
from infra.constructs.release_hook import HANDLER
from infra.stacks.service import TEST_TRAFFIC_HEADER
from tests.infra.conftest import Synth, resolve_join


def service_properties(synth: Synth) -> dict[str, Any]:
    return dict(synth.only("AWS::ECS::Service")["Properties"])


def function_ids(synth: Synth) -> dict[str, dict[str, Any]]:
    """The release hook function(s): the ones whose handler is the probe's."""
    return {
        logical: resource["Properties"]
        for logical, resource in synth.service_resources("AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") == HANDLER
    }


def alarm_names(synth: Synth) -> list[str]:
    """The deployment alarms, by name (the template refers to the alarm resources)."""
    names = {
        logical: alarm["Properties"]["AlarmName"]
        for logical, alarm in synth.service_resources("AWS::CloudWatch::Alarm").items()
    }
    alarms = service_properties(synth)["DeploymentConfiguration"]["Alarms"]["AlarmNames"]
    return [names[a["Ref"]] if isinstance(a, dict) else a for a in alarms]


# --- the deployment controller ------------------------------------------------------------------


def test_production_releases_blue_green_with_a_bake_time_and_rollback(default_synth: Synth) -> None:
    service = service_properties(default_synth)
    deployment = service["DeploymentConfiguration"]
    assert service.get("DeploymentController", {"Type": "ECS"}) == {"Type": "ECS"}
    assert deployment["Strategy"] == "BLUE_GREEN"
    assert deployment["BakeTimeInMinutes"] == default_synth.config.bake_minutes == 15
    assert deployment["Alarms"] == {**deployment["Alarms"], "Enable": True, "Rollback": True}
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}


def test_the_bake_time_is_watched_by_the_5xx_latency_and_canary_alarms(
    default_synth: Synth,
) -> None:
    assert sorted(alarm_names(default_synth)) == sorted(
        f"facesim-production-{what}" for what in ("5xx-rate", "latency-p95", "canary-failing")
    )


def test_the_pre_traffic_hook_runs_once_test_traffic_reaches_the_new_tasks(
    default_synth: Synth,
) -> None:
    (hook,) = service_properties(default_synth)["DeploymentConfiguration"]["LifecycleHooks"]
    assert hook["LifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    (function,) = function_ids(default_synth)
    assert hook["HookTargetArn"] == {"Fn::GetAtt": [function, "Arn"]}


def test_the_test_rule_sends_the_header_to_the_new_release_before_production_does(
    default_synth: Synth,
) -> None:
    rules = {
        logical: resource["Properties"]
        for logical, resource in default_synth.service_resources(
            "AWS::ElasticLoadBalancingV2::ListenerRule"
        ).items()
    }
    by_priority = sorted(rules.items(), key=lambda item: item[1]["Priority"])
    (test_id, test), (production_id, production) = by_priority
    header, value = TEST_TRAFFIC_HEADER
    assert test["Conditions"] == [
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": [value]}}
    ]
    assert production["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}
    ]
    (target,) = service_properties(default_synth)["LoadBalancers"]
    advanced = target["AdvancedConfiguration"]
    assert advanced["ProductionListenerRule"] == {"Ref": production_id}
    assert advanced["TestListenerRule"] == {"Ref": test_id}
    assert advanced["AlternateTargetGroupArn"] != target["TargetGroupArn"]


def test_other_stages_keep_rolling_updates_without_hook_or_test_rule(options_synth: Synth) -> None:
    deployment = service_properties(options_synth)["DeploymentConfiguration"]
    assert deployment.get("Strategy", "ROLLING") == "ROLLING"
    assert "LifecycleHooks" not in deployment
    assert not function_ids(options_synth)
    assert not options_synth.service_resources("AWS::ElasticLoadBalancingV2::ListenerRule")


def test_the_hook_checks_the_model_the_deploy_publishes_through_the_load_balancer(
    route53_synth: Synth,
) -> None:
    (function,) = function_ids(route53_synth).values()
    env = function["Environment"]["Variables"]
    config = route53_synth.config
    assert env["ENDPOINT_URL"] == "https://api.example.com"
    (alb,) = route53_synth.service_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert env["CONNECT_HOST"] == {"Fn::GetAtt": [alb, "DNSName"]}  # works before DNS does
    assert (env["TEST_HEADER_NAME"], env["TEST_HEADER_VALUE"]) == TEST_TRAFFIC_HEADER
    assert (env["MODEL_KIND"], env["MODEL_NAME"], env["MODEL_VERSION"]) == (
        config.model_kind,
        config.model_name,
        config.model_version,
    )
    (secret,) = route53_synth.service_resources("AWS::SecretsManager::Secret")
    assert env["API_KEY_SECRET_ARN"] == {"Ref": secret}  # the key itself is read at run time


# --- the outside-in canary ----------------------------------------------------------------------


def test_the_canary_calls_the_public_name_every_few_minutes_with_the_stack_s_key(
    route53_synth: Synth,
) -> None:
    canary = route53_synth.only("AWS::Synthetics::Canary")["Properties"]
    assert canary["Schedule"]["Expression"] == "rate(5 minutes)"
    assert canary["RunConfig"]["EnvironmentVariables"]["ENDPOINT_URL"] == "https://api.example.com"
    (secret,) = route53_synth.service_resources("AWS::SecretsManager::Secret")
    assert canary["RunConfig"]["EnvironmentVariables"]["API_KEY_SECRET_ARN"] == {"Ref": secret}
    script = canary["Code"]["Script"]
    assert "def handler(" in script and "/readyz" in script and "/v1/model" in script
    assert "SecretString" in script  # the key comes from the secret at run time, not the code


def test_the_canary_alarms_on_failures_and_on_silence(default_synth: Synth) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in default_synth.service_resources("AWS::CloudWatch::Alarm").values()
    }
    failing = alarms["facesim-production-canary-failing"]
    silent = alarms["facesim-production-canary-silent"]
    for alarm in (failing, silent):
        assert alarm["Namespace"] == "CloudWatchSynthetics"
        assert alarm["Dimensions"] == [{"Name": "CanaryName", "Value": "fs-production"}]
    assert failing["ComparisonOperator"] == "LessThanThreshold" and failing["Threshold"] == 100
    assert silent["TreatMissingData"] == "breaching"  # no runs at all is itself the alarm
    assert silent["Statistic"] == "SampleCount"


def test_with_a_certificate_the_canary_gates_releases_only_when_asked(options_synth: Synth) -> None:
    # options: certificateArn, DNS is the user's: the canary fails until it points here.
    assert options_synth.config.canary_gate is False
    alarms = options_synth.service.monitoring.deployment_alarms
    assert "canary-failing" not in [a.node.id for a in alarms]


# --- WAF logging --------------------------------------------------------------------------------


def test_waf_logs_blocked_and_counted_requests_without_credentials(any_synth: Synth) -> None:
    logging = any_synth.only("AWS::WAFv2::LoggingConfiguration")["Properties"]
    (acl,) = any_synth.service_resources("AWS::WAFv2::WebACL")
    assert logging["ResourceArn"] == {"Fn::GetAtt": [acl, "Arn"]}
    (destination,) = logging["LogDestinationConfigs"]
    name = f"aws-waf-logs-facesim-{any_synth.config.stage}"
    assert resolve_join(destination).endswith(f":log-group:{name}")
    assert logging["RedactedFields"] == [
        {"SingleHeader": {"Name": header}} for header in REDACTED_HEADERS
    ]
    assert {h.lower() for h in REDACTED_HEADERS} == {"x-api-key", "authorization"}
    (kept,) = logging["LoggingFilter"]["Filters"]
    assert logging["LoggingFilter"]["DefaultBehavior"] == "DROP"
    assert {c["ActionCondition"]["Action"] for c in kept["Conditions"]} >= {"BLOCK", "COUNT"}
    groups = [
        g["Properties"]
        for g in any_synth.service_resources("AWS::Logs::LogGroup").values()
        if g["Properties"].get("LogGroupName") == name
    ]
    assert groups and groups[0]["RetentionInDays"] == any_synth.config.log_retention_days


def test_a_spike_of_blocked_requests_raises_an_alarm(default_synth: Synth) -> None:
    (alarm,) = [
        a["Properties"]
        for a in default_synth.service_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"] == "facesim-production-waf-blocked-spike"
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/WAFV2", "BlockedRequests")
    assert {"Name": "WebACL", "Value": "facesim-production"} in alarm["Dimensions"]
    assert {"Name": "Rule", "Value": "ALL"} in alarm["Dimensions"]
    assert alarm["AlarmActions"]  # to the alarm topic
