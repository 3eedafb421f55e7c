"""One CloudWatch dashboard per stage: traffic, errors, latency, capacity, the model, the firewall.

The app's own inference metrics come from its embedded-metric-format lines (service/emf.py):
one JSON log line a minute per task in the app log group, which CloudWatch turns into metrics
under the stage's namespace. Chosen over a CloudWatch agent or ADOT sidecar scraping /metrics:
no third container (memory, an image from a public registry that the VPC-endpoint option could
not pull), nothing to configure, and it works wherever the app's logs already go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from infra.constructs.monitoring import container_insights, hosts
from service import emf

ONE_MINUTE: Final = Duration.minutes(1)
WIDTH: Final = 8  # three graphs a row (the grid is 24 wide)


def app_metric(namespace: str, name: str, statistic: str) -> cloudwatch.Metric:
    """A metric from the app's EMF lines (no dimensions: the namespace is the stage's)."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, statistic=statistic, period=ONE_MINUTE
    )


def graph(title: str, metrics: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    """A line graph a third of the dashboard wide."""
    return cloudwatch.GraphWidget(title=title, left=metrics, width=WIDTH, height=6)


class Dashboard(Construct):
    """Exposes `dashboard`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        metrics_namespace: str,
        load_balancer: elbv2.ApplicationLoadBalancer,
        target_groups: Sequence[elbv2.ApplicationTargetGroup],
        cluster: ecs.ICluster,
        service: ecs.FargateService,
        web_acl_name: str,
        alarms: list[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        lb = load_balancer.metrics
        code = elbv2.HttpCodeTarget
        app = metrics_namespace
        waf = {"WebACL": web_acl_name, "Region": cluster.stack.region, "Rule": "ALL"}
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=name,
            default_interval=Duration.hours(3),
            widgets=[
                [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24, height=3)],
                [
                    graph("Requests", [lb.request_count(period=ONE_MINUTE, statistic="Sum")]),
                    graph(
                        "Errors",
                        [
                            lb.http_code_target(code.TARGET_4XX_COUNT, statistic="Sum"),
                            lb.http_code_target(code.TARGET_5XX_COUNT, statistic="Sum"),
                            lb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, statistic="Sum"),
                        ],
                    ),
                    graph(
                        "Latency (s)",
                        [lb.target_response_time(statistic=p) for p in ("p50", "p95", "p99")],
                    ),
                ],
                [
                    graph(
                        "Targets",
                        [
                            hosts(load_balancer, target_groups, "healthy", "Minimum"),
                            hosts(load_balancer, target_groups, "unhealthy", "Maximum"),
                        ],
                    ),
                    graph(
                        "Tasks",
                        [
                            container_insights("DesiredTaskCount", cluster, service),
                            container_insights("RunningTaskCount", cluster, service),
                        ],
                    ),
                    graph(
                        "CPU and memory (%)",
                        [service.metric_cpu_utilization(), service.metric_memory_utilization()],
                    ),
                ],
                [
                    graph(
                        "Inference (s per batch)",
                        [
                            app_metric(app, emf.INFERENCE_P50, "Average"),
                            app_metric(app, emf.INFERENCE_P95, "Maximum"),
                            app_metric(app, emf.PREPROCESS_P95, "Maximum"),
                        ],
                    ),
                    graph(
                        "Batching",
                        [
                            app_metric(app, emf.BATCHES, "Sum"),
                            app_metric(app, emf.BATCH_SIZE_MEAN, "Average"),
                        ],
                    ),
                    graph(
                        "App answers and firewall",
                        [
                            app_metric(app, emf.CLIENT_ERRORS, "Sum"),
                            app_metric(app, emf.SERVER_ERRORS, "Sum"),
                            cloudwatch.Metric(
                                namespace="AWS/WAFV2",
                                metric_name="BlockedRequests",
                                dimensions_map=waf,
                                statistic="Sum",
                                period=ONE_MINUTE,
                            ),
                        ],
                    ),
                ],
            ],
        )
