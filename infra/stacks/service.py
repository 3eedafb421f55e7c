"""The service stack: network, the Fargate service, its public entry, firewall, alarms, dashboard."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.choices import IngressMode
from infra.config import DeployConfig
from infra.constructs.dashboard import Dashboard
from infra.constructs.firewall import Firewall
from infra.constructs.ingress import Ingress
from infra.constructs.log_bucket import LogBucket
from infra.constructs.model_store import grant_model_read
from infra.constructs.monitoring import Monitoring
from infra.constructs.network import AZ_COUNT, Network
from infra.constructs.service import AppSettings, ModelService, TaskSize
from infra.nag import acknowledge

API_KEY_LENGTH = 40


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
        )
        self.api_key_secret = self._api_key_secret(config)
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
        )
        self.firewall = Firewall(
            self,
            "Firewall",
            name=names.prefix,
            load_balancer=self.ingress.load_balancer,
            rate_limit=config.waf_rate_limit,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            names=names,
            alarm_email=config.alarm_email,
            load_balancer=self.ingress.load_balancer,
            target_group=self.ingress.target_group,
            cluster=self.model_service.cluster,
            service=self.model_service.service,
            log_retention_days=config.log_retention_days,
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
            target_group=self.ingress.target_group,
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
        CfnOutput(self, "ImageTag", value=config.image_tag)  # deploy.sh: the rollback target
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
                value=f"{config.domain_name} CNAME/alias -> {load_balancer.load_balancer_dns_name}",
            )


def _nag_bucket(config: DeployConfig) -> str:
    """The bucket name as cdk-nag prints it in a finding id (tokens as <AWS::AccountId>)."""
    return config.bucket_name("<AWS::AccountId>", "<AWS::Region>")
