"""Unexpected task stops (crashes, failed health checks, failed starts), recorded and counted.

An EventBridge rule matches the service's ECS "Task State Change" events that end in STOPPED for
a reason other than a deployment or a scale-in, and delivers each to a log group (the evidence:
which task, which container, why). The rule's Invocations metric counts them for the alarm.

The log group's resource policy is a native AWS::Logs::ResourcePolicy: CDK's CloudWatchLogGroup
target would add a Lambda-backed custom resource to write the same policy. CloudWatch Logs allows
10 such policies per account and region; each stage uses one.
"""

from __future__ import annotations

from typing import Final

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_logs as logs
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from infra.constructs.log_retention import RETENTION
from infra.names import DeployNames

# stopCode values that mean the task itself failed (ECS "Task State Change" event detail).
FAILURE_STOP_CODES: Final = ["TaskFailedToStart", "EssentialContainerExited"]
# ECS stops a task that failed the load balancer's or its containers' health checks with
# stopCode ServiceSchedulerInitiated and a reason starting with this.
HEALTH_CHECK_REASON_PREFIX: Final = "Task failed"


def stop_pattern(cluster: ecs.ICluster, service: ecs.FargateService) -> events.EventPattern:
    """This service's tasks that stopped because they failed, not because ECS replaced them."""
    return events.EventPattern(
        source=["aws.ecs"],
        detail_type=["ECS Task State Change"],
        detail={
            "clusterArn": [cluster.cluster_arn],
            "group": [f"service:{service.service_name}"],
            "lastStatus": ["STOPPED"],
            "$or": [
                {"stopCode": FAILURE_STOP_CODES},
                {"stoppedReason": [{"prefix": HEALTH_CHECK_REASON_PREFIX}]},
            ],
        },
    )


@jsii.implements(events.IRuleTarget)
class _LogGroupTarget:
    """Deliver matched events to a log group (its resource policy is made by TaskStops)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        """The target entry of the rule."""
        return events.RuleTargetConfig(arn=self._log_group.log_group_arn)


class TaskStops(Construct):
    """Exposes `rule`, `log_group` and `metric()`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: DeployNames,
        cluster: ecs.ICluster,
        service: ecs.FargateService,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Log",
            retention=RETENTION[log_retention_days],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"facesim {names.stage}: tasks that crashed or failed health checks",
            event_pattern=stop_pattern(cluster, service),
        )
        self.rule.add_target(_LogGroupTarget(self.log_group))
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
                    },
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{self.log_group.log_group_arn}",
                    "Condition": {"ArnEquals": {"aws:SourceArn": self.rule.rule_arn}},
                }
            ],
        }
        logs.CfnResourcePolicy(
            self,
            "DeliveryPolicy",
            policy_name=f"{names.prefix}-task-stops",
            policy_document=Stack.of(self).to_json_string(policy),
        )

    def metric(self) -> cloudwatch.Metric:
        """Stopped-task events delivered in 15 minutes."""
        return cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="Invocations",
            dimensions_map={"RuleName": self.rule.rule_name},
            statistic="Sum",
            period=Duration.minutes(15),
        )
