"""The VPC: two AZs, public subnets for the load balancer, the tasks private behind NAT by default."""

from __future__ import annotations

from typing import Final

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.choices import TaskSubnets
from infra.nag import acknowledge

VPC_CIDR = "10.0.0.0/16"
AZ_COUNT = 2
# What a Fargate task (platform 1.4) reaches besides S3 when it has no internet: image pulls
# (ECR API + registry; the layers come from S3), its logs, its API-key secret.
INTERFACE_ENDPOINTS: Final = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
}


class Network(Construct):
    """Exposes `vpc`, `task_subnets`, `assign_public_ip` and `interface_endpoints`.

    TaskSubnets.PRIVATE (default): tasks in private subnets, egress (ECR, CloudWatch Logs,
    Secrets Manager) through one NAT gateway per AZ. With `vpc_endpoints`, the task subnets are
    isolated (no NAT, no route out) and reach those services through interface endpoints
    (docs/DEPLOY.md compares the costs). TaskSubnets.PUBLIC is the cheapest option: no NAT
    gateway, the tasks get public IPs, and their security group still admits only the load
    balancer. S3 (the model download, image layers) always goes through the free gateway endpoint.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        task_subnets: TaskSubnets,
        nat_gateways: int,
        vpc_endpoints: bool,
        flow_logs_bucket: s3.IBucket,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)
        subnets = [
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
        ]
        private_type = (
            ec2.SubnetType.PRIVATE_ISOLATED if vpc_endpoints else ec2.SubnetType.PRIVATE_WITH_EGRESS
        )
        if task_subnets is TaskSubnets.PRIVATE:
            subnets.append(
                ec2.SubnetConfiguration(name="Tasks", subnet_type=private_type, cidr_mask=20)
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
            # The stacks are account-agnostic, so these resolve at deploy time (Fn::GetAZs) and
            # synth needs no AZ lookup: always exactly two, offline.
            max_azs=AZ_COUNT,
            nat_gateways=nat_gateways,
            subnet_configuration=subnets,
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
            flow_logs={
                "FlowLogs": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_s3(flow_logs_bucket, "vpc-flow-logs/"),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        if task_subnets is TaskSubnets.PRIVATE:
            self.task_subnets = ec2.SubnetSelection(subnet_type=private_type)
            self.assign_public_ip = False
        else:
            self.task_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
            self.assign_public_ip = True
        self.log_retention = log_retention
        self.interface_endpoints: list[ec2.InterfaceVpcEndpoint] = []
        if vpc_endpoints:
            for name, service in INTERFACE_ENDPOINTS.items():
                # Private DNS: the tasks use the services' usual names, unchanged. Closed: only
                # the tasks get in (admit_tasks), not the whole VPC.
                self.interface_endpoints.append(
                    self.vpc.add_interface_endpoint(
                        name,
                        service=service,
                        subnets=self.task_subnets,
                        private_dns_enabled=True,
                        open=False,
                    )
                )

    def admit_tasks(self, tasks: ec2.IConnectable) -> None:
        """Let the tasks (and nothing else) reach the interface endpoints on 443.

        The rule goes both ways: the tasks' security group (no open egress with endpoints) gets
        egress to each endpoint's group, and, below, to S3's prefix list: nowhere else.
        """
        for endpoint in self.interface_endpoints:
            endpoint.connections.allow_default_port_from(tasks, "facesim tasks")
        if self.interface_endpoints:
            tasks.connections.allow_to(
                ec2.Peer.prefix_list(self._s3_prefix_list_id()),
                ec2.Port.tcp(443),
                "S3 (gateway endpoint): the model and image layers",
            )

    def _s3_prefix_list_id(self) -> str:
        """The id of S3's AWS-managed prefix list in this region, read at deploy time.

        The id differs per region and synth is offline and account-agnostic, so a CloudFormation
        custom resource asks EC2 (DescribeManagedPrefixLists) when the stack deploys.
        """
        stack = Stack.of(self)
        lookup = cr.AwsCustomResource(
            self,
            "S3PrefixList",
            on_update=cr.AwsSdkCall(
                service="EC2",
                action="describeManagedPrefixLists",
                parameters={
                    "Filters": [
                        {"Name": "prefix-list-name", "Values": [f"com.amazonaws.{stack.region}.s3"]}
                    ]
                },
                physical_resource_id=cr.PhysicalResourceId.of(f"s3-prefix-list-{stack.region}"),
                output_paths=["PrefixLists.0.PrefixListId"],
            ),
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
                resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
            ),
            install_latest_aws_sdk=False,
            log_group=logs.LogGroup(
                self,
                "S3PrefixListLogs",
                retention=self.log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            ),
        )
        acknowledge(
            lookup,
            "AwsSolutions-IAM5[Resource::*]",
            "ec2:DescribeManagedPrefixLists has no resource-level permissions; the function "
            "only reads the id of S3's prefix list when the stack deploys.",
        )
        prefix_list_id = lookup.get_response_field("PrefixLists.0.PrefixListId")
        # The one function CDK shares between a stack's AwsCustomResources.
        provider = stack.node.find_child(
            "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
        )
        acknowledge(
            provider,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "CDK's shared custom-resource function writes only its own logs with the basic "
            "execution policy; it runs once per deploy to read one prefix-list id.",
        )
        return prefix_list_id
