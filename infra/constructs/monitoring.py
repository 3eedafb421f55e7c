"""Alarms on what users feel, and on outages that leave no metric behind; one SNS topic for all.

Missing data: an alarm on a metric that only exists while things work (healthy hosts, running
tasks) treats missing data as breaching, because silence there *is* the outage. Alarms on
traffic-driven metrics (5xx, latency, task stops) treat it as not breaching: no traffic, no news.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.task_stops import TaskStops
from infra.nag import acknowledge
from infra.names import DeployNames

ONE_MINUTE: Final = Duration.minutes(1)
FIVE_MINUTES: Final = Duration.minutes(5)
ERROR_RATE_PERCENT: Final = 5
MIN_REQUESTS_FOR_RATE: Final = 20  # below that in 5 minutes, one error is not a "rate"
P95_LATENCY_S: Final = 3  # one request is one small forward pass; seconds mean queueing
CPU_SATURATED_PERCENT: Final = 85
WAF_BLOCKED_SPIKE: Final = 100  # per 5 minutes; a few blocked scanners a day stay below
TASK_STOPS: Final = 2  # unexpected task stops in 15 minutes: a crash loop, not a one-off
BREACHING: Final = cloudwatch.TreatMissingData.BREACHING
NOT_BREACHING: Final = cloudwatch.TreatMissingData.NOT_BREACHING
ABOVE: Final = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
AT_LEAST: Final = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
BELOW: Final = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


def hosts(
    load_balancer: elbv2.ApplicationLoadBalancer,
    target_groups: Sequence[elbv2.ApplicationTargetGroup],
    which: str,
    statistic: str,
) -> cloudwatch.IMetric:
    """Healthy or unhealthy targets summed over the target groups (blue/green has two).

    Built by dimensions, not `group.metrics`: ECS attaches the green group to the load balancer
    only during a deployment, and CDK refuses metrics of a group it sees unattached.
    """
    metrics = {
        f"{which}{index}": cloudwatch.Metric(
            namespace="AWS/ApplicationELB",
            metric_name="HealthyHostCount" if which == "healthy" else "UnHealthyHostCount",
            dimensions_map={
                "LoadBalancer": load_balancer.load_balancer_full_name,
                "TargetGroup": group.target_group_full_name,
            },
            statistic=statistic,
            period=ONE_MINUTE,
        )
        for index, group in enumerate(target_groups)
    }
    if len(metrics) == 1:
        return metrics[f"{which}0"]
    return cloudwatch.MathExpression(
        label=f"{which} targets",
        expression=" + ".join(f"FILL({key}, 0)" for key in metrics),
        using_metrics=metrics,
        period=ONE_MINUTE,
    )


def canary_success(name: str, period: Duration, statistic: str) -> cloudwatch.Metric:
    """The canary's SuccessPercent, by its fixed name: the alarm (a deployment alarm of the
    service) then does not depend on the canary, which itself waits for the service."""
    return cloudwatch.Metric(
        namespace="CloudWatchSynthetics",
        metric_name="SuccessPercent",
        dimensions_map={"CanaryName": name},
        statistic=statistic,
        period=period,
    )


def container_insights(
    metric: str, cluster: ecs.ICluster, service: ecs.FargateService
) -> cloudwatch.Metric:
    """A service-level Container Insights metric (one data point a minute)."""
    return cloudwatch.Metric(
        namespace="ECS/ContainerInsights",
        metric_name=metric,
        dimensions_map={"ClusterName": cluster.cluster_name, "ServiceName": service.service_name},
        statistic="Average",
        period=ONE_MINUTE,
    )


class Monitoring(Construct):
    """Exposes `topic`, `alarms` (all) and `deployment_alarms` (what rolls a release back)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: DeployNames,
        alarm_email: str | None,
        load_balancer: elbv2.ApplicationLoadBalancer,
        target_groups: Sequence[elbv2.ApplicationTargetGroup],
        cluster: ecs.ICluster,
        service: ecs.FargateService,
        log_retention_days: int,
        canary_every: Duration,
        canary_gates_releases: bool,
        web_acl_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self, "AlarmTopic", display_name=f"facesim {names.stage} alarms", enforce_ssl=True
        )
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "The topic carries alarm names and states only, no data of users; CloudWatch "
            "alarms cannot publish to a topic under the AWS-managed SNS key, and a customer key "
            "for state changes would add cost and a key policy without protecting anything.",
        )
        if alarm_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))

        requests = load_balancer.metrics.request_count(period=FIVE_MINUTES, statistic="Sum")
        error_rate = cloudwatch.MathExpression(
            label="5xx % of requests",
            expression=(
                f"IF(requests >= {MIN_REQUESTS_FOR_RATE}, "
                "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"
            ),
            using_metrics={
                "requests": requests,
                # The load balancer's own count: blue/green moves the tasks between two groups.
                "target5xx": load_balancer.metrics.http_code_target(
                    elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES, statistic="Sum"
                ),
                "elb5xx": load_balancer.metrics.http_code_elb(
                    elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES, statistic="Sum"
                ),
            },
            period=FIVE_MINUTES,
        )
        tasks_missing = cloudwatch.MathExpression(
            label="tasks below desired",
            expression="desired - FILL(running, 0)",
            using_metrics={
                "desired": container_insights("DesiredTaskCount", cluster, service),
                "running": container_insights("RunningTaskCount", cluster, service),
            },
            period=ONE_MINUTE,
        )
        self.task_stops = TaskStops(
            self,
            "TaskStops",
            names=names,
            cluster=cluster,
            service=service,
            log_retention_days=log_retention_days,
        )

        def alarm(
            what: str,
            metric: cloudwatch.IMetric,
            description: str,
            *,
            threshold: float,
            comparison_operator: cloudwatch.ComparisonOperator,
            evaluation_periods: int,
            treat_missing_data: cloudwatch.TreatMissingData,
        ) -> cloudwatch.Alarm:
            return cloudwatch.Alarm(
                self,
                what,
                metric=metric,
                alarm_name=names.alarm(what),
                alarm_description=description,
                threshold=threshold,
                comparison_operator=comparison_operator,
                evaluation_periods=evaluation_periods,
                treat_missing_data=treat_missing_data,
            )

        no_healthy = alarm(
            "no-healthy-targets",
            hosts(load_balancer, target_groups, "healthy", "Minimum"),
            "No task passes /readyz behind the load balancer for 3 minutes: full outage.",
            threshold=1, comparison_operator=BELOW, evaluation_periods=3,
            treat_missing_data=BREACHING,
        )  # fmt: skip
        tasks_below = alarm(
            "tasks-below-desired",
            tasks_missing,
            "Fewer tasks RUNNING than desired for 10 minutes (failing starts, no capacity).",
            threshold=0, comparison_operator=ABOVE, evaluation_periods=10,
            treat_missing_data=BREACHING,
        )  # fmt: skip
        unhealthy = alarm(
            "unhealthy-targets",
            hosts(load_balancer, target_groups, "unhealthy", "Maximum"),
            "A task failed /readyz through nginx for 5 minutes.",
            threshold=1, comparison_operator=AT_LEAST, evaluation_periods=5,
            treat_missing_data=NOT_BREACHING,
        )  # fmt: skip
        five_xx = alarm(
            "5xx-rate",
            error_rate,
            f"More than {ERROR_RATE_PERCENT} % of requests answered 5xx (target or ALB) in "
            f"5 minutes, with at least {MIN_REQUESTS_FOR_RATE} requests.",
            threshold=ERROR_RATE_PERCENT, comparison_operator=ABOVE, evaluation_periods=1,
            treat_missing_data=NOT_BREACHING,
        )  # fmt: skip
        latency = alarm(
            "latency-p95",
            load_balancer.metrics.target_response_time(period=FIVE_MINUTES, statistic="p95"),
            f"p95 response time above {P95_LATENCY_S} s for 10 minutes.",
            threshold=P95_LATENCY_S, comparison_operator=ABOVE, evaluation_periods=2,
            treat_missing_data=NOT_BREACHING,
        )  # fmt: skip
        restarts = alarm(
            "task-restarts",
            self.task_stops.metric(),
            f"At least {TASK_STOPS} tasks crashed or failed health checks in 15 minutes "
            "(reasons in the task-stops log group).",
            threshold=TASK_STOPS, comparison_operator=AT_LEAST, evaluation_periods=1,
            treat_missing_data=NOT_BREACHING,
        )  # fmt: skip
        cpu = alarm(
            "cpu-saturated",
            service.metric_cpu_utilization(period=FIVE_MINUTES),
            f"Average task CPU above {CPU_SATURATED_PERCENT} % for 15 minutes: at max capacity?",
            threshold=CPU_SATURATED_PERCENT, comparison_operator=ABOVE, evaluation_periods=3,
            treat_missing_data=NOT_BREACHING,
        )  # fmt: skip
        canary_failing = alarm(
            "canary-failing",
            canary_success(names.canary, canary_every, "Minimum"),
            "The outside-in canary failed 2 runs in a row: clients cannot reach the API through "
            "the public name (DNS, certificate, WAF, load balancer or the service).",
            threshold=100, comparison_operator=BELOW, evaluation_periods=2,
            treat_missing_data=NOT_BREACHING,
        )  # fmt: skip
        canary_silent = alarm(
            "canary-silent",
            canary_success(names.canary, Duration.minutes(15), "SampleCount"),
            "The canary has not run for 15 minutes: nobody is looking at the endpoint.",
            threshold=1, comparison_operator=BELOW, evaluation_periods=1,
            treat_missing_data=BREACHING,
        )  # fmt: skip
        waf_blocked = alarm(
            "waf-blocked-spike",
            cloudwatch.Metric(
                namespace="AWS/WAFV2",
                metric_name="BlockedRequests",
                dimensions_map={"WebACL": web_acl_name, "Region": Stack.of(self).region, "Rule": "ALL"},
                statistic="Sum",
                period=FIVE_MINUTES,
            ),
            f"The firewall blocked more than {WAF_BLOCKED_SPIKE} requests in 5 minutes (an attack, "
            "or a rule refusing real clients: the WAF log group says which, docs/DEPLOY.md).",
            threshold=WAF_BLOCKED_SPIKE, comparison_operator=ABOVE, evaluation_periods=1,
            treat_missing_data=NOT_BREACHING,
        )  # fmt: skip
        self.alarms = [
            no_healthy, tasks_below, unhealthy, five_xx, latency, restarts, cpu,
            canary_failing, canary_silent, waf_blocked,
        ]  # fmt: skip
        # A release that turns ready but answers 5xx or slowly, or that the canary cannot reach
        # from outside, is rolled back by ECS during its bake time. Not the healthy-host alarm:
        # it is in ALARM before the very first deployment has a target.
        self.deployment_alarms = [five_xx, latency]
        if canary_gates_releases:
            self.deployment_alarms.append(canary_failing)
        action = cloudwatch_actions.SnsAction(self.topic)
        for each in self.alarms:
            each.add_alarm_action(action)
            each.add_ok_action(action)
