"""The public entry: ALB 443 + ACM + Route 53, 80 -> 443, ALB -> nginx HTTPS, readiness checks."""

from __future__ import annotations

from typing import Any

from aws_cdk import assertions
from aws_cdk.assertions import Match

from infra.choices import Rollout
from infra.constructs.ingress import INSECURE_HTTP_WARNING
from infra.contract import (
    ALB_IDLE_TIMEOUT_S,
    DEREGISTRATION_DELAY_S,
    NGINX_HTTPS_PORT,
    NGINX_PROXY_READ_TIMEOUT_S,
    READINESS_PATH,
)
from tests.infra.conftest import Synth, resolve_join


def listeners(synth: Synth) -> dict[int, dict[str, Any]]:
    found = synth.service_resources("AWS::ElasticLoadBalancingV2::Listener").values()
    return {listener["Properties"]["Port"]: listener["Properties"] for listener in found}


def alb_attributes(synth: Synth) -> dict[str, str]:
    alb = synth.only("AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]
    return {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}


def test_alb_is_internet_facing_in_public_subnets(any_synth: Synth) -> None:
    alb = any_synth.only("AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]
    assert alb["Scheme"] == "internet-facing"
    assert alb["Type"] == "application"
    public = {
        key
        for key, subnet in any_synth.service_resources("AWS::EC2::Subnet").items()
        if {"Key": "aws-cdk:subnet-type", "Value": "Public"} in subnet["Properties"]["Tags"]
    }
    assert {s["Ref"] for s in alb["Subnets"]} == public


def test_alb_hardening_and_access_logs(any_synth: Synth) -> None:
    attributes = alb_attributes(any_synth)
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.prefix"] == "alb"
    # Non-compliant requests are refused, not only the ones the ALB judges risky.
    assert attributes["routing.http.desync_mitigation_mode"] == "strictest"


def test_production_alb_has_deletion_protection_unless_turned_off(
    route53_synth: Synth, options_synth: Synth, endpoints_synth: Synth
) -> None:
    assert alb_attributes(route53_synth)["deletion_protection.enabled"] == "true"
    assert alb_attributes(endpoints_synth)["deletion_protection.enabled"] == "false"  # said so
    assert alb_attributes(options_synth)["deletion_protection.enabled"] == "false"  # staging


def target_groups(synth: Synth) -> list[dict[str, Any]]:
    """Blue/green has two identical groups (ECS moves the release between them), rolling one."""
    groups = [
        g["Properties"]
        for g in synth.service_resources("AWS::ElasticLoadBalancingV2::TargetGroup").values()
    ]
    assert len(groups) == (1 if synth.config.rollout_style is Rollout.ROLLING else 2)
    return groups


def test_target_group_routes_to_the_least_busy_task(any_synth: Synth) -> None:
    for group in target_groups(any_synth):
        attributes = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
        assert attributes["load_balancing.algorithm.type"] == "least_outstanding_requests"


def test_alb_idle_timeout_outlasts_nginx_proxy_read_timeout(any_synth: Synth) -> None:
    idle = int(alb_attributes(any_synth)["idle_timeout.timeout_seconds"])
    assert idle == ALB_IDLE_TIMEOUT_S
    assert idle >= NGINX_PROXY_READ_TIMEOUT_S


def test_target_group_is_nginx_https_with_readiness_health_check(any_synth: Synth) -> None:
    for group in target_groups(any_synth):
        check_nginx_group(group)


def check_nginx_group(group: dict[str, Any]) -> None:
    assert (group["Protocol"], group["Port"], group["TargetType"]) == (
        "HTTPS",
        NGINX_HTTPS_PORT,
        "ip",
    )
    assert group["HealthCheckPath"] == READINESS_PATH == "/readyz"
    assert group["HealthCheckProtocol"] == "HTTPS"
    assert group["Matcher"] == {"HttpCode": "200"}
    # The health check timeout fits its interval; two passes make a target healthy.
    assert group["HealthCheckTimeoutSeconds"] < group["HealthCheckIntervalSeconds"]
    assert group["HealthyThresholdCount"] == 2
    attributes = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == str(DEREGISTRATION_DELAY_S)


def test_https_listener_has_the_certificate_and_forwards_to_nginx(route53_synth: Synth) -> None:
    found = listeners(route53_synth)
    assert sorted(found) == [80, 443]
    https = found[443]
    assert https["Protocol"] == "HTTPS"
    (cert_id,) = route53_synth.service_resources("AWS::CertificateManager::Certificate")
    assert https["Certificates"] == [{"CertificateArn": {"Ref": cert_id}}]
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    # Blue/green: every request goes through the listener's rules (tests/infra/test_cdk_release.py);
    # the default action only answers what no rule matches.
    assert https["DefaultActions"][0]["Type"] == "fixed-response"
    assert https["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "404"
    group_id = route53_synth.service.get_logical_id(
        route53_synth.service.ingress.target_group.node.default_child
    )
    rule = route53_synth.service.ingress.production_rule
    assert rule is not None
    rule_id = route53_synth.service.get_logical_id(rule.node.default_child)
    rule_props = route53_synth.service_resources("AWS::ElasticLoadBalancingV2::ListenerRule")[
        rule_id
    ]
    assert rule_props["Properties"]["Actions"] == [
        {"Type": "forward", "TargetGroupArn": {"Ref": group_id}}
    ]


def test_port_80_redirects_to_https(route53_synth: Synth) -> None:
    http = listeners(route53_synth)[80]
    assert http["Protocol"] == "HTTP"
    assert http["DefaultActions"] == [
        {
            "Type": "redirect",
            "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
        }
    ]


def test_certificate_is_validated_by_dns_in_the_hosted_zone(route53_synth: Synth) -> None:
    route53_synth.service_template.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {
            "DomainName": "api.example.com",
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [
                {"DomainName": "api.example.com", "HostedZoneId": "Z123456ABCDEFG"}
            ],
        },
    )


def test_route53_alias_points_the_domain_at_the_alb(route53_synth: Synth) -> None:
    (alb_id,) = route53_synth.service_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    record = route53_synth.only("AWS::Route53::RecordSet")["Properties"]
    assert (record["Name"], record["Type"], record["HostedZoneId"]) == (
        "api.example.com.",
        "A",
        "Z123456ABCDEFG",
    )
    assert alb_id in str(record["AliasTarget"]["DNSName"])
    route53_synth.service_template.has_output("EndpointUrl", {"Value": "https://api.example.com"})
    route53_synth.service_template.has_output("IngressMode", {"Value": "https-route53"})


def test_existing_certificate_mode_needs_no_zone(options_synth: Synth) -> None:
    template = options_synth.service_template
    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    template.resource_count_is("AWS::Route53::RecordSet", 0)
    https = listeners(options_synth)[443]
    assert https["Certificates"] == [{"CertificateArn": options_synth.config.certificate_arn}]
    template.has_output("EndpointUrl", {"Value": "https://facesim.example.org"})
    template.has_output("DnsToCreate", Match.any_value())


def test_insecure_http_is_plain_http_and_flagged(default_synth: Synth) -> None:
    template = default_synth.service_template
    found = listeners(default_synth)
    assert sorted(found) == [80]
    assert found[80]["Protocol"] == "HTTP"
    # Production: blue/green, so the listener's rules forward (the default answers 404).
    assert found[80]["DefaultActions"][0]["Type"] == "fixed-response"
    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    template.resource_count_is("AWS::Route53::RecordSet", 0)
    template.has_output("IngressMode", {"Value": "http-insecure"})
    url = resolve_join(template.find_outputs("EndpointUrl")["EndpointUrl"]["Value"])
    assert url.startswith("http://{getatt:")
    warnings = assertions.Annotations.from_stack(default_synth.service).find_warning(
        "*", Match.string_like_regexp("INSECURE HTTP")
    )
    assert len(warnings) == 2  # the listener's, and the stack's posture warning
    assert "insecureHttp=true" in INSECURE_HTTP_WARNING


def test_https_deployments_carry_no_insecure_warning(route53_synth: Synth) -> None:
    assertions.Annotations.from_stack(route53_synth.service).has_no_warning(
        "*", Match.string_like_regexp("INSECURE")
    )


def test_alb_reaches_the_tasks_only_on_nginx_https(any_synth: Synth) -> None:
    alb = any_synth.only("AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]
    (alb_sg,) = [g["Fn::GetAtt"][0] for g in alb["SecurityGroups"]]
    egress = [
        e["Properties"]
        for e in any_synth.service_resources("AWS::EC2::SecurityGroupEgress").values()
        if e["Properties"]["GroupId"] == {"Fn::GetAtt": [alb_sg, "GroupId"]}
    ]
    inline = any_synth.service_resources("AWS::EC2::SecurityGroup")[alb_sg]["Properties"]
    assert [(e["FromPort"], e["ToPort"]) for e in egress] == [(NGINX_HTTPS_PORT, NGINX_HTTPS_PORT)]
    assert all(
        e.get("CidrIp") != "0.0.0.0/0"
        for e in inline.get("SecurityGroupEgress", [])
        if e.get("IpProtocol") != "icmp"
    )
    ingress_ports = sorted(r["FromPort"] for r in inline["SecurityGroupIngress"])
    expected = [80] if any_synth.config.domain_name is None else [80, 443]
    assert ingress_ports == expected
