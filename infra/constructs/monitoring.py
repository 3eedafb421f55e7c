"""Alarms on what users feel: unhealthy targets, 5xx answers, latency, and a saturated service."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

FIVE_MINUTES = Duration.minutes(5)
ERRORS_PER_5_MIN = 10
P95_LATENCY_S = 3  # one request is one small forward pass; seconds mean requests are queueing
CPU_SATURATED_PERCENT = 85


class Monitoring(Construct):
    """Exposes `alarms`; each notifies `alarm_topic` when one is given (context alarmTopicArn)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        load_balancer: elbv2.ApplicationLoadBalancer,
        target_group: elbv2.ApplicationTargetGroup,
        service: ecs.FargateService,
        alarm_topic: sns.ITopic | None,
    ) -> None:
        super().__init__(scope, construct_id)
        not_breaching = cloudwatch.TreatMissingData.NOT_BREACHING
        self.alarms = [
            target_group.metrics.unhealthy_host_count(
                period=Duration.minutes(1), statistic="Maximum"
            ).create_alarm(
                self,
                "UnhealthyTargets",
                alarm_description="A task failed /readyz through nginx for 5 minutes.",
                threshold=1,
                evaluation_periods=5,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=not_breaching,
            ),
            target_group.metrics.http_code_target(
                elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES, statistic="Sum"
            ).create_alarm(
                self,
                "Target5xx",
                alarm_description="nginx or the app answered 5xx more than 10 times in 5 minutes.",
                threshold=ERRORS_PER_5_MIN,
                evaluation_periods=1,
                treat_missing_data=not_breaching,
            ),
            load_balancer.metrics.http_code_elb(
                elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES, statistic="Sum"
            ).create_alarm(
                self,
                "LoadBalancer5xx",
                alarm_description="The ALB itself answered 5xx (no healthy target, timeouts).",
                threshold=ERRORS_PER_5_MIN,
                evaluation_periods=1,
                treat_missing_data=not_breaching,
            ),
            target_group.metrics.target_response_time(
                period=FIVE_MINUTES, statistic="p95"
            ).create_alarm(
                self,
                "LatencyP95",
                alarm_description=f"p95 response time above {P95_LATENCY_S} s for 15 minutes.",
                threshold=P95_LATENCY_S,
                evaluation_periods=3,
                treat_missing_data=not_breaching,
            ),
            service.metric_cpu_utilization(period=FIVE_MINUTES).create_alarm(
                self,
                "CpuSaturated",
                alarm_description="Average task CPU above 85% for 15 minutes: at max capacity?",
                threshold=CPU_SATURATED_PERCENT,
                evaluation_periods=3,
                treat_missing_data=not_breaching,
            ),
        ]
        if alarm_topic is not None:
            action = cloudwatch_actions.SnsAction(alarm_topic)
            for alarm in self.alarms:
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)
