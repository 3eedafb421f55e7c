"""Alarms (outages included), their topic and e-mail, deployment rollback alarms, the dashboard."""

from __future__ import annotations

import json
from typing import Any

from infra.choices import Rollout
from infra.constructs.task_stops import FAILURE_STOP_CODES, HEALTH_CHECK_REASON_PREFIX
from service import emf
from tests.infra.conftest import Synth, resolve_join

# alarm (name suffix) -> how missing data counts: breaching where silence means an outage.
MISSING_DATA = {
    "no-healthy-targets": "breaching",
    "tasks-below-desired": "breaching",
    "unhealthy-targets": "notBreaching",
    "5xx-rate": "notBreaching",
    "latency-p95": "notBreaching",
    "task-restarts": "notBreaching",
    "cpu-saturated": "notBreaching",
    "canary-failing": "notBreaching",
    "canary-silent": "breaching",  # no canary runs is itself the alarm
    "waf-blocked-spike": "notBreaching",
}


def alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    """Alarm properties by name suffix (after facesim-<stage>-)."""
    prefix = f"facesim-{synth.config.stage}-"
    found = {}
    for alarm in synth.service_resources("AWS::CloudWatch::Alarm").values():
        name = alarm["Properties"]["AlarmName"]
        assert name.startswith(prefix), name
        found[name.removeprefix(prefix)] = alarm["Properties"]
    return found


def metric_names(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    """(namespace, metric) of a plain or metric-math alarm."""
    if "MetricName" in alarm:
        return {(alarm["Namespace"], alarm["MetricName"])}
    return {
        (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
        for m in alarm["Metrics"]
        if "MetricStat" in m
    }


def test_alarms_cover_outages_errors_latency_restarts_and_saturation(any_synth: Synth) -> None:
    found = alarms(any_synth)
    assert {name: a["TreatMissingData"] for name, a in found.items()} == MISSING_DATA
    assert metric_names(found["no-healthy-targets"]) == {("AWS/ApplicationELB", "HealthyHostCount")}
    assert found["no-healthy-targets"]["ComparisonOperator"] == "LessThanThreshold"
    assert found["no-healthy-targets"]["Threshold"] == 1
    assert metric_names(found["tasks-below-desired"]) == {
        ("ECS/ContainerInsights", "DesiredTaskCount"),
        ("ECS/ContainerInsights", "RunningTaskCount"),
    }
    assert metric_names(found["5xx-rate"]) == {
        ("AWS/ApplicationELB", "RequestCount"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
    }
    assert metric_names(found["latency-p95"]) == {("AWS/ApplicationELB", "TargetResponseTime")}
    assert found["latency-p95"]["ExtendedStatistic"] == "p95"
    assert metric_names(found["task-restarts"]) == {("AWS/Events", "Invocations")}


def test_the_error_rate_is_a_rate_with_a_traffic_floor(default_synth: Synth) -> None:
    (expression,) = [m for m in alarms(default_synth)["5xx-rate"]["Metrics"] if "Expression" in m]
    assert expression["Expression"].startswith("IF(requests >= 20, 100 * (")
    assert alarms(default_synth)["5xx-rate"]["Threshold"] == 5


def test_every_alarm_notifies_the_stacks_topic(any_synth: Synth) -> None:
    (topic_id,) = any_synth.service_resources("AWS::SNS::Topic")
    for alarm in alarms(any_synth).values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
    any_synth.service_template.has_output("AlarmTopicArn", {"Value": {"Ref": topic_id}})


def test_alarm_email_subscribes_to_the_topic(default_synth: Synth, options_synth: Synth) -> None:
    default_synth.service_template.resource_count_is("AWS::SNS::Subscription", 0)
    (subscription,) = options_synth.service_resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.org"


def test_the_topic_refuses_plain_http_publishers(any_synth: Synth) -> None:
    (policy,) = any_synth.service_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


def test_a_release_answering_5xx_or_slowly_is_rolled_back(any_synth: Synth) -> None:
    service = any_synth.only("AWS::ECS::Service")["Properties"]
    deployment_alarms = service["DeploymentConfiguration"]["Alarms"]
    assert deployment_alarms["Enable"] is True and deployment_alarms["Rollback"] is True
    by_id = {
        key: alarm["Properties"]["AlarmName"]
        for key, alarm in any_synth.service_resources("AWS::CloudWatch::Alarm").items()
    }
    named = {
        by_id.get(ref["Ref"]) if isinstance(ref, dict) else ref
        for ref in deployment_alarms["AlarmNames"]
    }
    stage = any_synth.config.stage
    # Not no-healthy-targets: it is in ALARM before a first deployment has any target. The
    # canary's, where the stack owns DNS (with certificateArn only once the user says so).
    due = {f"facesim-{stage}-5xx-rate", f"facesim-{stage}-latency-p95"}
    if any_synth.config.canary_gate:
        due.add(f"facesim-{stage}-canary-failing")
    assert named == due


def test_task_stops_are_matched_logged_and_counted(any_synth: Synth) -> None:
    (rule,) = any_synth.service_resources("AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.ecs"]
    assert pattern["detail-type"] == ["ECS Task State Change"]
    detail = pattern["detail"]
    assert detail["lastStatus"] == ["STOPPED"]
    assert resolve_join(detail["group"][0]).startswith("service:{getatt:")
    assert detail["$or"] == [
        {"stopCode": FAILURE_STOP_CODES},
        {"stoppedReason": [{"prefix": HEALTH_CHECK_REASON_PREFIX}]},
    ]
    (target,) = rule["Properties"]["Targets"]
    log_group = target["Arn"]["Fn::GetAtt"][0]
    assert any_synth.service_resources("AWS::Logs::LogGroup")[log_group]
    # Delivery allowed by a native resource policy for this rule only; no Lambda anywhere.
    (policy,) = any_synth.service_resources("AWS::Logs::ResourcePolicy").values()
    document = json.dumps(policy["Properties"]["PolicyDocument"])
    assert "events.amazonaws.com" in document and "aws:SourceArn" in document
    # No Lambda for this: CDK's default-SG one, and the release hook where blue/green runs; the
    # prefix-list lookup with VPC endpoints.
    functions = any_synth.service_resources("AWS::Lambda::Function")
    expected = (
        1 + (any_synth.config.rollout_style is not Rollout.ROLLING) + any_synth.config.vpc_endpoints
    )
    assert len(functions) == expected


def test_dashboard_shows_traffic_capacity_the_model_and_the_firewall(any_synth: Synth) -> None:
    (dashboard,) = any_synth.service_resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"facesim-{any_synth.config.stage}"
    body = resolve_join(dashboard["Properties"]["DashboardBody"])
    for metric in (
        "RequestCount",
        "TargetResponseTime",
        "HTTPCode_Target_5XX_Count",
        "HealthyHostCount",
        "RunningTaskCount",
        "CPUUtilization",
        "MemoryUtilization",
        "BlockedRequests",
        emf.INFERENCE_P95,
        emf.BATCHES,
        emf.SERVER_ERRORS,
    ):
        assert f'"{metric}"' in body, metric
    assert f'"facesim/{any_synth.config.stage}"' in body  # the app's EMF namespace
    assert '"type":"alarm"' in body
