"""The service stack: network, the Fargate service, its public entry, firewall, alarms, dashboard."""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.choices import IngressMode, Rollout
from infra.config import DeployConfig
from infra.constructs.canary import Canary
from infra.constructs.dashboard import Dashboard
from infra.constructs.firewall import Firewall
from infra.constructs.ingress import Ingress, TestTraffic
from infra.constructs.log_bucket import LogBucket
from infra.constructs.log_retention import RETENTION
from infra.constructs.model_store import grant_model_read
from infra.constructs.monitoring import Monitoring
from infra.constructs.network import AZ_COUNT, Network
from infra.constructs.release_hook import ReleaseHook
from infra.constructs.service import AppSettings, ModelService, TaskSize
from infra.nag import acknowledge

API_KEY_LENGTH = 40
# A request with this header reaches the new release during a blue/green deployment (the
# listener's test rule). Not a secret: the new release asks for the same API key.
TEST_TRAFFIC_HEADER: Final = ("X-Facesim-Release", "candidate")


class ServiceStack(Stack):
    """Composes Network, ModelService, Ingress, Firewall, Monitoring and Dashboard.

    The storage stack's bucket and repositories are found by their stage-derived names
    (infra/names.py), not through exports.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        bucket_name = config.bucket_name(Aws.ACCOUNT_ID, Aws.REGION)
        model_bucket = s3.Bucket.from_bucket_name(self, "ModelBucket", bucket_name)
        app_repository = ecr.Repository.from_repository_name(
            self, "AppRepository", names.app_repository
        )
        nginx_repository = ecr.Repository.from_repository_name(
            self, "NginxRepository", names.nginx_repository
        )
        self.logs = LogBucket(self, "AccessLogs")
        self.network = Network(
            self,
            "Network",
            task_subnets=config.task_subnets,
            nat_gateways=config.nat_gateway_count,
            vpc_endpoints=config.vpc_endpoints,
            flow_logs_bucket=self.logs.bucket,
            log_retention=RETENTION[config.log_retention_days],
        )
        self.api_key_secret = self._api_key_secret(config)
        test_traffic = (
            None if config.rollout_style is Rollout.ROLLING else TestTraffic(*TEST_TRAFFIC_HEADER)
        )
        model_uri = f"s3://{bucket_name}/{config.model_object_key}"
        metrics_namespace = f"facesim/{config.stage}"
        self.model_service = ModelService(
            self,
            "ModelService",
            vpc=self.network.vpc,
            task_subnets=self.network.task_subnets,
            assign_public_ip=self.network.assign_public_ip,
            family=names.task_family,
            app_image=ecs.ContainerImage.from_ecr_repository(app_repository, config.image_tag),
            nginx_image=ecs.ContainerImage.from_ecr_repository(nginx_repository, config.image_tag),
            app=AppSettings(
                model_uri=model_uri,
                model_sha256=config.model_sha256,
                model_kind=config.model_kind,
                docs_enabled=config.docs_enabled,
                api_key_secret=self.api_key_secret,
                metrics_namespace=metrics_namespace,
            ),
            size=TaskSize(
                cpu=config.task_cpu,
                memory_mib=config.task_memory,
                desired_count=config.desired_count,
                max_count=config.max_count,
                spot_percent=config.fargate_spot_percent,
            ),
            log_retention_days=config.log_retention_days,
            health_check_grace=Duration.seconds(config.health_check_grace_seconds),
            open_egress=not config.vpc_endpoints,
            rollout=config.rollout_style,
            bake_time=Duration.minutes(config.bake_minutes),
        )
        self.network.admit_tasks(self.model_service.service)
        # The bucket and the task role are both visible here: the one grant of the app's role.
        grant_model_read(
            bucket=model_bucket,
            prefix=config.model_read_prefix,
            grantee=self.model_service.task_role,
        )
        acknowledge(
            self.model_service.task_role,
            f"AwsSolutions-IAM5[Resource::arn:{self.partition}:s3:::{_nag_bucket(config)}"
            f"/{config.model_read_prefix}/*]",
            "The wildcard is the model prefix itself (docs/MODEL_CONTRACT.md): the task may read "
            "the published .h5 and its manifest there, s3:GetObject only, no other key or action.",
        )

        self.ingress = Ingress(
            self,
            "Ingress",
            vpc=self.network.vpc,
            service=self.model_service.service,
            target_container=self.model_service.nginx_container,
            access_logs=self.logs.bucket,
            mode=config.ingress_mode,
            domain_name=config.domain_name,
            hosted_zone=self._hosted_zone(config),
            certificate_arn=config.certificate_arn,
            deletion_protection=config.deletion_protected,
            test_traffic=test_traffic,
        )
        if test_traffic is not None:
            self.release_hook = ReleaseHook(
                self,
                "ReleaseHook",
                endpoint_url=self.ingress.endpoint_url,
                connect_host=self.ingress.load_balancer.load_balancer_dns_name,
                test_traffic=test_traffic,
                model_kind=config.model_kind,
                model_name=config.model_name,
                model_version=config.model_version,
                api_key_secret=self.api_key_secret,
                log_retention_days=config.log_retention_days,
            )
            self.model_service.service.add_lifecycle_hook(self.release_hook.target)
            self._acknowledge_blue_green(self.model_service.service)
        self.firewall = Firewall(
            self,
            "Firewall",
            name=names.prefix,
            load_balancer=self.ingress.load_balancer,
            rate_limit=config.waf_rate_limit,
            log_group_name=names.waf_log_group,
            log_retention=RETENTION[config.log_retention_days],
        )
        canary_every = Duration.minutes(config.canary_minutes)
        self.canary = Canary(
            self,
            "Canary",
            name=names.canary,
            endpoint_url=self.ingress.endpoint_url,
            every=canary_every,
            api_key_secret=self.api_key_secret,
            access_logs=self.logs.bucket,
        )
        # Its first run comes once the service is steady, not while the first tasks still start.
        canary_resource = self.canary.canary.node.default_child
        assert canary_resource is not None
        canary_resource.node.add_dependency(self.model_service.service)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            names=names,
            alarm_email=config.alarm_email,
            load_balancer=self.ingress.load_balancer,
            target_groups=self.ingress.target_groups,
            cluster=self.model_service.cluster,
            service=self.model_service.service,
            log_retention_days=config.log_retention_days,
            canary_every=canary_every,
            canary_gates_releases=config.canary_gate,
            web_acl_name=names.prefix,
        )
        self.model_service.service.enable_deployment_alarms(
            [alarm.alarm_name for alarm in self.monitoring.deployment_alarms],
            behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
        )
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            name=names.prefix,
            metrics_namespace=metrics_namespace,
            load_balancer=self.ingress.load_balancer,
            target_groups=self.ingress.target_groups,
            cluster=self.model_service.cluster,
            service=self.model_service.service,
            web_acl_name=names.prefix,
            alarms=list(self.monitoring.alarms),
        )
        self._outputs(config, model_uri)

    @property
    def availability_zones(self) -> list[str]:
        """Exactly AZ_COUNT zones as Fn::GetAZs at deploy time: never literal AZ names.

        Overridden because Stack.availabilityZones also acknowledges cfn-lint W3010 ("literal
        AZs") for the whole stack, with a reason that is false for an environment-agnostic
        stack; without it, a literal AZ added later would be reported.
        """
        return [Fn.select(index, Fn.get_azs()) for index in range(AZ_COUNT)]

    def _api_key_secret(self, config: DeployConfig) -> secretsmanager.ISecret | None:
        """The API_KEYS secret: the user's own, one this stack generates, or none (apiKeys=false)."""
        if not config.api_keys:
            return None
        if config.api_key_secret_arn is not None:
            return secretsmanager.Secret.from_secret_complete_arn(
                self, "ApiKeySecret", config.api_key_secret_arn
            )
        secret = secretsmanager.Secret(
            self,
            "ApiKeySecret",
            description=f"facesim {config.stage}: API_KEYS, comma-separated (docs/DEPLOY.md)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=API_KEY_LENGTH, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "API keys are rotated by the user (docs/DEPLOY.md, Rotating API keys): the new key "
            "is added beside the old one and clients move before it is removed; a rotation "
            "Lambda would cut off every client holding the old key at once.",
        )
        return secret

    def _acknowledge_blue_green(self, service: ecs.FargateService) -> None:
        """The two roles CDK makes for ECS's blue/green controller."""
        acknowledge(
            service,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            "AmazonECSInfrastructureRolePolicyForLoadBalancers]",
            "The ECS guide's infrastructure role for blue/green on a load balancer: ECS moves the "
            "listener rules and target groups between releases with exactly this AWS policy.",
        )
        acknowledge(
            service,
            "AwsSolutions-IAM5[Resource::<ReleaseHookFunctionECC83E6C.Arn>:*]",
            "ECS may invoke the release hook function and its versions (<arn>:*), that one "
            "function only, to run the pre-traffic checks.",
        )

    def _hosted_zone(self, config: DeployConfig) -> route53.IHostedZone | None:
        if config.hosted_zone_id is None or config.hosted_zone_name is None:
            return None
        # From the context ids, not a lookup: synth stays offline.
        return route53.HostedZone.from_hosted_zone_attributes(
            self,
            "HostedZone",
            hosted_zone_id=config.hosted_zone_id,
            zone_name=config.hosted_zone_name,
        )

    def _outputs(self, config: DeployConfig, model_uri: str) -> None:
        load_balancer = self.ingress.load_balancer
        CfnOutput(self, "EndpointUrl", value=self.ingress.endpoint_url)
        CfnOutput(self, "IngressMode", value=str(config.ingress_mode))
        CfnOutput(self, "LoadBalancerDnsName", value=load_balancer.load_balancer_dns_name)
        CfnOutput(self, "ModelUri", value=model_uri)
        # deploy.sh reads these three before a deploy: the rollback command names what runs now.
        CfnOutput(self, "ImageTag", value=config.image_tag)
        CfnOutput(self, "ModelName", value=config.model_name)
        CfnOutput(self, "ModelVersion", value=config.model_version)
        CfnOutput(self, "ModelKind", value=config.model_kind)
        CfnOutput(self, "Rollout", value=str(config.rollout_style))
        CfnOutput(self, "CanaryName", value=config.names.canary)
        CfnOutput(self, "WafLogGroup", value=config.names.waf_log_group)
        CfnOutput(self, "ClusterName", value=self.model_service.cluster.cluster_name)
        CfnOutput(self, "ServiceName", value=self.model_service.service.service_name)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=config.names.prefix)
        if self.api_key_secret is not None:
            CfnOutput(self, "ApiKeySecretArn", value=self.api_key_secret.secret_arn)
        if config.ingress_mode is IngressMode.CERTIFICATE:
            CfnOutput(
                self,
                "DnsToCreate",
                value=f"{config.domain_name} CNAME (or Route 53 alias A) -> "
                f"{load_balancer.load_balancer_dns_name}",
            )


def _nag_bucket(config: DeployConfig) -> str:
    """The bucket name as cdk-nag prints it in a finding id (tokens as <AWS::AccountId>)."""
    return config.bucket_name("<AWS::AccountId>", "<AWS::Region>")
