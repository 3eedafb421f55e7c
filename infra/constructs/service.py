"""The ECS cluster and the Fargate service: one task = the app on loopback + nginx/TLS in front."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.choices import Rollout
from infra.constructs.containers import (
    APP_CONTAINER,
    NGINX_CONTAINER,
    app_environment,
    app_health_check,
    mount_writable_paths,
    nginx_environment,
    nginx_health_check,
)
from infra.constructs.log_retention import RETENTION
from infra.contract import CONTAINER_STOP_TIMEOUT_S, NGINX_HTTPS_PORT
from infra.nag import acknowledge

CPU_TARGET_PERCENT = 60
# Restart in place at most once per this period; a container that dies sooner (a crash loop at
# start) is left to ECS, which replaces the task and counts it for the circuit breaker.
RESTART_ATTEMPT_PERIOD: Final = Duration.seconds(120)
DEPLOYMENT_STRATEGY: Final = {
    Rollout.BLUE_GREEN: ecs.DeploymentStrategy.BLUE_GREEN,
    Rollout.CANARY: ecs.DeploymentStrategy.CANARY,
    Rollout.LINEAR: ecs.DeploymentStrategy.LINEAR,
    Rollout.ROLLING: ecs.DeploymentStrategy.ROLLING,
}
CANARY_STEP: Final = ecs.TrafficShiftConfig(step_percent=10, step_bake_time=Duration.minutes(10))
LINEAR_STEP: Final = ecs.TrafficShiftConfig(step_percent=25, step_bake_time=Duration.minutes(5))


@dataclass(frozen=True, kw_only=True)
class TaskSize:
    """Fargate task size, how many tasks run, and which share of them on Fargate Spot."""

    cpu: int
    memory_mib: int
    desired_count: int
    max_count: int
    spot_percent: int = 0


@dataclass(frozen=True, kw_only=True)
class AppSettings:
    """What the app container is told: its model, docs, API-key secret and metrics namespace."""

    model_uri: str
    model_sha256: str | None
    model_kind: str
    docs_enabled: bool
    api_key_secret: secretsmanager.ISecret | None
    metrics_namespace: str


def _task_role_principal(stack: Stack) -> iam.IPrincipal:
    """ecs-tasks may assume the task role only for tasks of this account (confused deputy).

    The conditions are those of the ECS guide's "Task IAM role" trust policy; the execution role
    keeps the plain service principal, as the ECS guide shows it.
    """
    return iam.ServicePrincipal("ecs-tasks.amazonaws.com").with_conditions(
        {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": f"arn:{stack.partition}:ecs:{stack.region}:{stack.account}:*"
            },
        }
    )


class ModelService(Construct):
    """Cluster, roles, log groups, task definition, security group, service and its autoscaling.

    Exposes `service`, `task_role`, `execution_role`, `task_definition`, `app_container`,
    `nginx_container`, `security_group`, `cluster` and the two log groups. The caller grants the
    task role its S3 read (where the bucket is visible) and attaches the load balancer.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        task_subnets: ec2.SubnetSelection,
        assign_public_ip: bool,
        family: str,
        app_image: ecs.ContainerImage,
        nginx_image: ecs.ContainerImage,
        app: AppSettings,
        size: TaskSize,
        log_retention_days: int,
        health_check_grace: Duration,
        open_egress: bool = True,
        rollout: Rollout = Rollout.ROLLING,
        bake_time: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )

        # Two roles: the execution role is ECS's (pull images, write logs, read the API-key
        # secret); the task role is the app's own and gets only the model read (see the stack).
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="ECS agent: pull the two images, write the two log groups, read API keys",
        )
        acknowledge(
            self.execution_role,
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken, which CDK grants for the ECR image pull, has no "
            "resource-level permissions; the pull actions themselves name the two repositories.",
        )
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=_task_role_principal(stack),
            description="facesim app: read the model objects, nothing else",
        )

        retention = RETENTION[log_retention_days]
        self.app_logs = logs.LogGroup(
            self, "AppLogs", retention=retention, removal_policy=RemovalPolicy.RETAIN
        )
        self.nginx_logs = logs.LogGroup(
            self, "NginxLogs", retention=retention, removal_policy=RemovalPolicy.RETAIN
        )

        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            family=family,
            cpu=size.cpu,
            memory_limit_mib=size.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                # x86-64 only: tensorflow-cpu 2.21.0 publishes no aarch64 wheel (docs/DEPLOY.md,
                # "Why no ARM64"), so there is no Graviton option.
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            execution_role=self.execution_role,
            task_role=self.task_role,
        )

        secrets = {}
        if app.api_key_secret is not None:
            secrets["API_KEYS"] = ecs.Secret.from_secrets_manager(app.api_key_secret)
        self.app_container = self.task_definition.add_container(
            "App",
            container_name=APP_CONTAINER,
            image=app_image,
            essential=True,
            environment=dict(
                app_environment(
                    model_uri=app.model_uri,
                    model_sha256=app.model_sha256,
                    model_kind=app.model_kind,
                    region=stack.region,
                    docs_enabled=app.docs_enabled,
                    metrics_namespace=app.metrics_namespace,
                )
            ),
            secrets=secrets or None,
            readonly_root_filesystem=True,
            # No port mapping: nothing outside the task may reach the app.
            health_check=app_health_check(),
            # A crash restarts the container in place (seconds, model cache kept on the bind
            # mount) instead of ECS replacing the whole task (minutes).
            enable_restart_policy=True,
            restart_attempt_period=RESTART_ATTEMPT_PERIOD,
            stop_timeout=Duration.seconds(CONTAINER_STOP_TIMEOUT_S),
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix=APP_CONTAINER,
                log_group=self.app_logs,
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=Size.mebibytes(25),
            ),
        )
        mount_writable_paths(self.task_definition, self.app_container)

        self.nginx_container = self.task_definition.add_container(
            "Nginx",
            container_name=NGINX_CONTAINER,
            image=nginx_image,
            essential=True,
            environment=dict(nginx_environment(vpc_cidr=vpc.vpc_cidr_block)),
            readonly_root_filesystem=True,
            port_mappings=[
                ecs.PortMapping(
                    container_port=NGINX_HTTPS_PORT, protocol=ecs.Protocol.TCP, name="https"
                )
            ],
            health_check=nginx_health_check(),
            enable_restart_policy=True,
            restart_attempt_period=RESTART_ATTEMPT_PERIOD,
            # The image's STOPSIGNAL is SIGQUIT: nginx finishes open requests before exiting.
            stop_timeout=Duration.seconds(CONTAINER_STOP_TIMEOUT_S),
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix=NGINX_CONTAINER,
                log_group=self.nginx_logs,
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=Size.mebibytes(25),
            ),
        )
        mount_writable_paths(self.task_definition, self.nginx_container)
        # nginx starts once the app is alive, and (reverse order on stop) is stopped before it.
        self.nginx_container.add_container_dependencies(
            ecs.ContainerDependency(
                container=self.app_container, condition=ecs.ContainerDependencyCondition.HEALTHY
            )
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "The environment holds only non-secret settings (ports, model URI, timeouts); the "
            "one secret, API_KEYS, comes from Secrets Manager through ecs.Secret.",
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "TaskSecurityGroup",
            vpc=vpc,
            description="facesim tasks: nginx HTTPS from the load balancer only",
            allow_all_outbound=False,
        )
        # Everything a task calls is AWS over HTTPS: ECR, S3 (gateway endpoint), CloudWatch Logs,
        # Secrets Manager. DNS goes to the VPC resolver, which security groups do not filter.
        # Through NAT those are public addresses; with VPC endpoints the stack instead opens
        # egress to the endpoints and S3's prefix list only (Network.admit_tasks).
        if open_egress:
            self.security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs over HTTPS only"
            )

        capacity = _capacity(self.cluster, size.spot_percent)
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            # No desired_count: the template leaves DesiredCount out, so a deploy keeps the count
            # autoscaling reached instead of resetting it. A new service starts at 1 and the
            # scalable target (minimum = desired_count) lifts it: registering a scalable target
            # moves the current capacity into [min, max] (Application Auto Scaling concepts).
            vpc_subnets=task_subnets,
            assign_public_ip=assign_public_ip,
            security_groups=[self.security_group],
            platform_version=ecs.FargatePlatformVersion.LATEST,
            capacity_provider_strategies=capacity,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            # ECS's own controller: blue/green (or canary/linear) with a test rule, a hook and a
            # bake time watched by the deployment alarms; rolling where asked (docs/DEPLOY.md, Releases).
            deployment_strategy=DEPLOYMENT_STRATEGY[rollout],
            bake_time=None if rollout is Rollout.ROLLING else bake_time,
            canary_configuration=CANARY_STEP if rollout is Rollout.CANARY else None,
            linear_configuration=LINEAR_STEP if rollout is Rollout.LINEAR else None,
            # Download + checksum + load + warm-up of the model before /readyz says 200.
            health_check_grace_period=health_check_grace,
            availability_zone_rebalancing=ecs.AvailabilityZoneRebalancing.ENABLED,
            enable_ecs_managed_tags=True,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_execute_command=False,
        )

        self.scaling = self.service.auto_scale_task_count(
            min_capacity=size.desired_count, max_capacity=size.max_count
        )
        # Inference is CPU-bound, so CPU tracks load better than request counts of varying cost.
        self.scaling.scale_on_cpu_utilization(
            "CpuTarget",
            target_utilization_percent=CPU_TARGET_PERCENT,
            scale_out_cooldown=Duration.seconds(60),
            scale_in_cooldown=Duration.seconds(300),
        )


def _capacity(cluster: ecs.Cluster, spot_percent: int) -> list[ecs.CapacityProviderStrategy] | None:
    """On-demand only (launch type FARGATE), or a share on Fargate Spot with one task on-demand.

    Spot tasks get a SIGTERM two minutes before reclaim; behind the ALB with the deregistration
    delay and nginx's graceful stop that drains them, and `base=1` keeps one task on-demand so a
    Spot shortage never takes the whole service.
    """
    if spot_percent == 0:
        return None
    cluster.enable_fargate_capacity_providers()
    return [
        ecs.CapacityProviderStrategy(
            capacity_provider="FARGATE", base=1, weight=100 - spot_percent
        ),
        ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=spot_percent),
    ]
