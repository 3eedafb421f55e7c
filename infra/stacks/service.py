"""The service stack: network, the Fargate service, its public entry and its alarms."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Fn, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import DeployConfig, IngressMode
from infra.constructs.ingress import Ingress
from infra.constructs.log_bucket import LogBucket
from infra.constructs.model_store import grant_model_read
from infra.constructs.monitoring import Monitoring
from infra.constructs.network import Network
from infra.constructs.service import ModelService, TaskSize
from infra.nag import acknowledge
from infra.stacks.storage import StorageExports


class ServiceStack(Stack):
    """Composes Network, ModelService, Ingress and Monitoring; grants the task its model read."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        storage: StorageExports,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        model_bucket = s3.Bucket.from_bucket_attributes(
            self,
            "ModelBucket",
            bucket_arn=Fn.import_value(storage.model_bucket_arn),
            bucket_name=Fn.import_value(storage.model_bucket_name),
        )
        app_repository = ecr.Repository.from_repository_attributes(
            self,
            "AppRepository",
            repository_arn=Fn.import_value(storage.app_repository_arn),
            repository_name=Fn.import_value(storage.app_repository_name),
        )
        nginx_repository = ecr.Repository.from_repository_attributes(
            self,
            "NginxRepository",
            repository_arn=Fn.import_value(storage.nginx_repository_arn),
            repository_name=Fn.import_value(storage.nginx_repository_name),
        )
        self.logs = LogBucket(self, "AccessLogs")
        self.network = Network(
            self,
            "Network",
            task_subnets=config.task_subnets,
            nat_gateways=config.nat_gateway_count,
            flow_logs_bucket=self.logs.bucket,
        )

        api_key_secret = None
        if config.api_key_secret_arn is not None:
            api_key_secret = secretsmanager.Secret.from_secret_complete_arn(
                self, "ApiKeySecret", config.api_key_secret_arn
            )

        self.model_service = ModelService(
            self,
            "ModelService",
            vpc=self.network.vpc,
            task_subnets=self.network.task_subnets,
            assign_public_ip=self.network.assign_public_ip,
            app_image=ecs.ContainerImage.from_ecr_repository(app_repository, config.image_tag),
            nginx_image=ecs.ContainerImage.from_ecr_repository(nginx_repository, config.image_tag),
            model_uri=f"s3://{model_bucket.bucket_name}/{config.model_object_key}",
            model_sha256=config.model_sha256,
            size=TaskSize(
                cpu=config.task_cpu,
                memory_mib=config.task_memory,
                desired_count=config.desired_count,
                max_count=config.max_count,
            ),
            log_retention_days=config.log_retention_days,
            health_check_grace=Duration.seconds(config.health_check_grace_seconds),
            api_key_secret=api_key_secret,
        )
        # The bucket and the task role are both visible here: the one grant of the app's role.
        grant_model_read(
            bucket=model_bucket,
            prefix=config.model_read_prefix,
            grantee=self.model_service.task_role,
        )
        acknowledge(
            self.model_service.task_role,
            f"AwsSolutions-IAM5[Resource::{storage.model_bucket_arn}/{config.model_read_prefix}/*]",
            "The wildcard is the model prefix itself (docs/dev/CONTRACT.md): the task may read "
            "the published .h5 and its manifest there, s3:GetObject only, no other key or action.",
        )

        hosted_zone = None
        if config.hosted_zone_id is not None and config.hosted_zone_name is not None:
            # From the context ids, not a lookup: synth stays offline.
            hosted_zone = route53.HostedZone.from_hosted_zone_attributes(
                self,
                "HostedZone",
                hosted_zone_id=config.hosted_zone_id,
                zone_name=config.hosted_zone_name,
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
            hosted_zone=hosted_zone,
            certificate_arn=config.certificate_arn,
        )

        alarm_topic = None
        if config.alarm_topic_arn is not None:
            alarm_topic = sns.Topic.from_topic_arn(self, "AlarmTopic", config.alarm_topic_arn)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            load_balancer=self.ingress.load_balancer,
            target_group=self.ingress.target_group,
            service=self.model_service.service,
            alarm_topic=alarm_topic,
        )

        CfnOutput(self, "EndpointUrl", value=self.ingress.endpoint_url)
        CfnOutput(self, "IngressMode", value=str(config.ingress_mode))
        CfnOutput(
            self, "LoadBalancerDnsName", value=self.ingress.load_balancer.load_balancer_dns_name
        )
        CfnOutput(
            self, "ModelUri", value=f"s3://{model_bucket.bucket_name}/{config.model_object_key}"
        )
        CfnOutput(self, "ClusterName", value=self.model_service.cluster.cluster_name)
        CfnOutput(self, "ServiceName", value=self.model_service.service.service_name)
        if config.ingress_mode is IngressMode.CERTIFICATE:
            CfnOutput(
                self,
                "DnsToCreate",
                value=f"{config.domain_name} CNAME/alias -> "
                + self.ingress.load_balancer.load_balancer_dns_name,
            )
