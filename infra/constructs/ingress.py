"""The public entry: an ALB on 443 (ACM certificate, Route 53 alias), 80 -> 443, ALB -> nginx HTTPS."""

from __future__ import annotations

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

LEAST_OUTSTANDING = elbv2.TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS

INSECURE_HTTP_WARNING = (
    "INSECURE HTTP (insecureHttp=true): the load balancer listens on plain HTTP port 80 at its "
    "own DNS name (traffic from the ALB to nginx is still HTTPS). Deploy with "
    "-c domainName=... -c hostedZoneId=... -c hostedZoneName=... for HTTPS."
)


class Ingress(Construct):
    """Exposes `load_balancer`, `target_group`, `listener` (the one forwarding), `endpoint_url`.

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

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "NginxTargets",
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
            targets=[
                service.load_balancer_target(
                    container_name=target_container.container_name,
                    container_port=NGINX_HTTPS_PORT,
                )
            ],
        )

        if mode is IngressMode.INSECURE_HTTP:
            self.listener = self.load_balancer.add_listener(
                "Http", port=80, open=True, default_target_groups=[self.target_group]
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
                default_target_groups=[self.target_group],
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

        # The tasks admit nginx's HTTPS port from the load balancer and from nothing else.
        service.connections.allow_from(
            self.load_balancer, ec2.Port.tcp(NGINX_HTTPS_PORT), "ALB to nginx HTTPS"
        )

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
