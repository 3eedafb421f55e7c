"""The VPC: two AZs, public subnets for the load balancer, the tasks private behind NAT by default."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import TaskSubnets

VPC_CIDR = "10.0.0.0/16"
AZ_COUNT = 2


class Network(Construct):
    """Exposes `vpc`, `task_subnets` and `assign_public_ip` for the Fargate service.

    TaskSubnets.PRIVATE (default): tasks in private subnets, egress (ECR, CloudWatch Logs,
    Secrets Manager) through one NAT gateway per AZ. TaskSubnets.PUBLIC is the cheaper option for
    small users: no NAT gateway, the tasks get public IPs, and their security group still admits
    only the load balancer. Either way S3 (the model download) goes through a free gateway endpoint.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        task_subnets: TaskSubnets,
        nat_gateways: int,
        flow_logs_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        subnets = [
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
        ]
        if task_subnets is TaskSubnets.PRIVATE:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="Tasks", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                )
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
            self.task_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
            self.assign_public_ip = False
        else:
            self.task_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
            self.assign_public_ip = True
