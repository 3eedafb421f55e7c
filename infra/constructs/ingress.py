"""The public entry: an ALB on 443 (ACM certificate, Route 53 alias), 80 -> 443, ALB -> nginx HTTPS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aws_cdk import Annotations, Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.choices import IngressMode
from infra.contract import (
    ALB_IDLE_TIMEOUT_S,
    DEREGISTRATION_DELAY_S,
    NGINX_HTTPS_PORT,
    READINESS_PATH,
)
from infra.nag import acknowledge

TEST_RULE_PRIORITY: Final = 10  # before the production rule: the header picks the new release
PRODUCTION_RULE_PRIORITY: Final = 100
NOT_FOUND_BODY: Final = (
    '{"error":{"code":"not_found","field":null,"message":"No route matches this request."}}'
)
LEAST_OUTSTANDING = elbv2.TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS

INSECURE_HTTP_WARNING = (
    "INSECURE HTTP (insecureHttp=true): the load balancer listens on plain HTTP port 80 at its "
    "own DNS name (traffic from the ALB to nginx is still HTTPS). Deploy with "
    "-c domainName=... -c hostedZoneId=... -c hostedZoneName=... for HTTPS."
)


def _target_group(
    scope: Construct, construct_id: str, vpc: ec2.IVpc
) -> elbv2.ApplicationTargetGroup:
    """nginx's HTTPS port on the tasks, checked on /readyz."""
    return elbv2.ApplicationTargetGroup(
        scope,
        construct_id,
        vpc=vpc,
        target_type=elbv2.TargetType.IP,
        # ALB -> nginx is HTTPS too. The ALB does not validate target certificates, so nginx's
        # self-signed certificate (made at container start) encrypts this hop.
        protocol=elbv2.ApplicationProtocol.HTTPS,
        port=NGINX_HTTPS_PORT,
        deregistration_delay=Duration.seconds(DEREGISTRATION_DELAY_S),
        # A request is one forward pass of varying cost (image size, batching): send each to
        # the target with the fewest in flight rather than round-robin onto a busy task.
        load_balancing_algorithm_type=LEAST_OUTSTANDING,
        health_check=elbv2.HealthCheck(
            protocol=elbv2.Protocol.HTTPS,
            path=READINESS_PATH,
            healthy_http_codes="200",
            interval=Duration.seconds(15),
            timeout=Duration.seconds(5),
            healthy_threshold_count=2,
            unhealthy_threshold_count=3,
        ),
    )


@dataclass(frozen=True)
class TestTraffic:
    """The header that sends a request to the new release during a blue/green deployment."""

    header: str
    value: str


class Ingress(Construct):
    """Exposes `load_balancer`, `target_group`, `target_groups`, `listener`, `endpoint_url`.

    Rolling (test_traffic None): the listener forwards to one target group. Blue/green: two
    target groups and two listener rules ECS moves between them: `production_rule` (every path)
    and `test_rule` (requests carrying the test header, priority first), which reaches the new
    tasks before production traffic does.

    ROUTE53: a DNS-validated ACM certificate for domain_name and an alias A record in the zone.
    CERTIFICATE: an existing ACM certificate; pointing DNS at the ALB is left to the user.
    INSECURE_HTTP: asked for with insecureHttp=true: plain HTTP on the ALB's DNS name, flagged.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        service: ecs.FargateService,
        target_container: ecs.ContainerDefinition,
        access_logs: s3.IBucket,
        mode: IngressMode,
        domain_name: str | None = None,
        hosted_zone: route53.IHostedZone | None = None,
        certificate_arn: str | None = None,
        deletion_protection: bool,
        test_traffic: TestTraffic | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.mode = mode

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            # >= nginx proxy_read_timeout, so a slow inference ends at nginx with a JSON 504.
            idle_timeout=Duration.seconds(ALB_IDLE_TIMEOUT_S),
            drop_invalid_header_fields=True,
            http2_enabled=True,
            # Strictest: requests that do not comply with RFC 7230 are refused, not just risky
            # ones; every client of this API is a program sending plain multipart or JSON.
            desync_mitigation_mode=elbv2.DesyncMitigationMode.STRICTEST,
            deletion_protection=deletion_protection,
        )
        self.load_balancer.log_access_logs(access_logs, prefix="alb")
        acknowledge(
            self.load_balancer,
            "AwsSolutions-EC23",
            "This is the public entry point: the listeners must accept any client address on "
            "443 (and 80, which only redirects to HTTPS, or serves the flagged insecureHttp mode).",
        )

        self.target_group = _target_group(self, "NginxTargets", vpc)
        self.target_groups = [self.target_group]
        self.green_target_group: elbv2.ApplicationTargetGroup | None = None
        if test_traffic is not None:
            self.green_target_group = _target_group(self, "NginxTargetsGreen", vpc)
            self.target_groups.append(self.green_target_group)
        # Rolling: the listener forwards to the target group; blue/green: the rules below do.
        default = [self.target_group] if test_traffic is None else None
        not_found = (
            None
            if test_traffic is None
            else elbv2.ListenerAction.fixed_response(
                404, content_type="application/json", message_body=NOT_FOUND_BODY
            )
        )

        if mode is IngressMode.INSECURE_HTTP:
            self.listener = self.load_balancer.add_listener(
                "Http", port=80, open=True, default_target_groups=default, default_action=not_found
            )
            self.endpoint_url = f"http://{self.load_balancer.load_balancer_dns_name}"
            Annotations.of(self).add_warning_v2("facesim:insecure-http", INSECURE_HTTP_WARNING)
        else:
            if domain_name is None:
                raise ValueError(f"{mode} needs a domain name")
            certificate = self._certificate(domain_name, hosted_zone, certificate_arn)
            self.listener = self.load_balancer.add_listener(
                "Https",
                port=443,
                open=True,
                certificates=[certificate],
                ssl_policy=elbv2.SslPolicy.TLS13_12_PQ,  # TLS 1.2/1.3, post-quantum hybrid key exchange
                default_target_groups=default,
                default_action=not_found,
            )
            self.load_balancer.add_redirect(source_port=80, target_port=443)
            self.endpoint_url = f"https://{domain_name}"
            if hosted_zone is not None:
                route53.ARecord(
                    self,
                    "AliasRecord",
                    zone=hosted_zone,
                    record_name=domain_name,
                    target=route53.RecordTarget.from_alias(
                        route53_targets.LoadBalancerTarget(self.load_balancer)
                    ),
                )

        self.production_rule: elbv2.ApplicationListenerRule | None = None
        self.test_rule: elbv2.ApplicationListenerRule | None = None
        if test_traffic is not None:
            self.test_rule = elbv2.ApplicationListenerRule(
                self,
                "TestRule",
                listener=self.listener,
                priority=TEST_RULE_PRIORITY,
                conditions=[
                    elbv2.ListenerCondition.http_header(test_traffic.header, [test_traffic.value])
                ],
                action=elbv2.ListenerAction.forward([self.target_group]),
            )
            self.production_rule = elbv2.ApplicationListenerRule(
                self,
                "ProductionRule",
                listener=self.listener,
                priority=PRODUCTION_RULE_PRIORITY,
                conditions=[elbv2.ListenerCondition.path_patterns(["/*"])],
                action=elbv2.ListenerAction.forward([self.target_group]),
            )
        self._attach(service, target_container, test_traffic is not None)

        # The tasks admit nginx's HTTPS port from the load balancer and from nothing else.
        service.connections.allow_from(
            self.load_balancer, ec2.Port.tcp(NGINX_HTTPS_PORT), "ALB to nginx HTTPS"
        )

    def _attach(
        self, service: ecs.FargateService, container: ecs.ContainerDefinition, blue_green: bool
    ) -> None:
        """Register the service's nginx in the (blue) target group; for blue/green, with the
        green group and the two rules ECS moves between them."""
        alternate = None
        if blue_green:
            assert self.green_target_group and self.production_rule and self.test_rule
            alternate = ecs.AlternateTarget(
                "AlternateTarget",
                alternate_target_group=self.green_target_group,
                production_listener=ecs.ListenerRuleConfiguration.application_listener_rule(
                    self.production_rule
                ),
                test_listener=ecs.ListenerRuleConfiguration.application_listener_rule(
                    self.test_rule
                ),
            )
        target = service.load_balancer_target(
            container_name=container.container_name,
            container_port=NGINX_HTTPS_PORT,
            alternate_target=alternate,
        )
        target.attach_to_application_target_group(self.target_group)

    def _certificate(
        self,
        domain_name: str,
        hosted_zone: route53.IHostedZone | None,
        certificate_arn: str | None,
    ) -> acm.ICertificate:
        if hosted_zone is not None:
            return acm.Certificate(
                self,
                "Certificate",
                domain_name=domain_name,
                validation=acm.CertificateValidation.from_dns(hosted_zone),
            )
        if certificate_arn is None:
            raise ValueError("a certificate needs a hosted zone or an existing certificate ARN")
        return acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
