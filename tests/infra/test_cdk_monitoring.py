"""Alarms on unhealthy targets, 5xx, latency and CPU; they notify a topic when one is given."""

from __future__ import annotations

from tests.infra.conftest import Synth

EXPECTED_METRICS = {
    ("AWS/ApplicationELB", "UnHealthyHostCount"),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
    ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
    ("AWS/ApplicationELB", "TargetResponseTime"),
    ("AWS/ECS", "CPUUtilization"),
}


def test_alarms_watch_what_users_feel(any_synth: Synth) -> None:
    alarms = any_synth.service_resources("AWS::CloudWatch::Alarm").values()
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert metrics == EXPECTED_METRICS
    for alarm in alarms:
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_alarms_notify_the_topic_only_when_given(
    default_synth: Synth, options_synth: Synth
) -> None:
    for alarm in default_synth.service_resources("AWS::CloudWatch::Alarm").values():
        assert "AlarmActions" not in alarm["Properties"]
    topic = options_synth.config.alarm_topic_arn
    for alarm in options_synth.service_resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [topic]
        assert alarm["Properties"]["OKActions"] == [topic]
