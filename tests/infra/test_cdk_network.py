"""The VPC: two AZs, NAT per AZ by default, the cheaper public-subnet option, S3 endpoint, flow logs."""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Stack, assertions
from aws_cdk import aws_s3 as s3

from infra.choices import TaskSubnets
from infra.constructs.network import Network
from tests.infra.conftest import Synth, resolve_join


def subnet_kinds(template: assertions.Template) -> list[str]:
    kinds = []
    for subnet in template.find_resources("AWS::EC2::Subnet").values():
        tags = {t["Key"]: t["Value"] for t in subnet["Properties"]["Tags"]}
        kinds.append(tags["aws-cdk:subnet-type"])
    return sorted(kinds)


def test_default_vpc_spans_two_azs_with_a_nat_gateway_each(default_synth: Synth) -> None:
    template = default_synth.service_template
    assert subnet_kinds(template) == ["Private", "Private", "Public", "Public"]
    template.resource_count_is("AWS::EC2::NatGateway", 2)
    azs = sorted(
        str(s["Properties"]["AvailabilityZone"])
        for s in template.find_resources("AWS::EC2::Subnet").values()
    )
    # Account-agnostic: the two AZs resolve at deploy time, so synth needs no lookup.
    first, second = ({"Fn::Select": [i, {"Fn::GetAZs": ""}]} for i in (0, 1))
    assert azs == sorted(2 * [str(first), str(second)])


def endpoints(synth: Synth) -> dict[str, str]:
    """Service-name suffix -> endpoint type."""
    found = {}
    for endpoint in synth.service_resources("AWS::EC2::VPCEndpoint").values():
        name = resolve_join(endpoint["Properties"]["ServiceName"])
        found[name.rsplit(".", 1)[-1]] = endpoint["Properties"].get("VpcEndpointType", "Gateway")
    return found


def test_s3_traffic_uses_a_gateway_endpoint(any_synth: Synth) -> None:
    assert endpoints(any_synth)["s3"] == "Gateway"


def test_without_the_endpoints_option_there_is_no_interface_endpoint(
    default_synth: Synth, options_synth: Synth
) -> None:
    assert endpoints(default_synth) == endpoints(options_synth) == {"s3": "Gateway"}


def test_endpoints_option_replaces_nat_with_interface_endpoints(endpoints_synth: Synth) -> None:
    template = endpoints_synth.service_template
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    assert subnet_kinds(template) == ["Isolated", "Isolated", "Public", "Public"]
    assert endpoints(endpoints_synth) == {
        "s3": "Gateway",
        "api": "Interface",  # ecr.api
        "dkr": "Interface",  # ecr.dkr
        "logs": "Interface",
        "secretsmanager": "Interface",
    }
    for endpoint in endpoints_synth.service_resources("AWS::EC2::VPCEndpoint").values():
        if endpoint["Properties"].get("VpcEndpointType") == "Interface":
            assert endpoint["Properties"]["PrivateDnsEnabled"] is True
    network = endpoints_synth.only("AWS::ECS::Service")["Properties"]["NetworkConfiguration"]
    subnets = {s["Ref"] for s in network["AwsvpcConfiguration"]["Subnets"]}
    assert all("Tasks" in s for s in subnets)


def test_vpc_flow_logs_go_to_the_log_bucket(any_synth: Synth) -> None:
    flow_log = any_synth.only("AWS::EC2::FlowLog")["Properties"]
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["LogDestinationType"] == "s3"
    bucket_id = any_synth.service.get_logical_id(any_synth.service.logs.bucket.node.default_child)  # type: ignore[arg-type]
    assert bucket_id in str(flow_log["LogDestination"])


def test_public_option_drops_nat_and_private_subnets(options_synth: Synth) -> None:
    template = options_synth.service_template
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    assert subnet_kinds(template) == ["Public", "Public"]


def test_one_nat_gateway_option(bare_stack: Callable[[], Stack]) -> None:
    stack = bare_stack()
    logs = s3.Bucket(stack, "Logs")
    network = Network(
        stack,
        "Network",
        task_subnets=TaskSubnets.PRIVATE,
        nat_gateways=1,
        vpc_endpoints=False,
        flow_logs_bucket=logs,
    )
    template = assertions.Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    assert subnet_kinds(template) == ["Private", "Private", "Public", "Public"]
    assert network.assign_public_ip is False
