"""The enumerated choices of a deployment (their own module: config and its rules both use them)."""

from __future__ import annotations

from enum import StrEnum


class TaskSubnets(StrEnum):
    """Where the tasks run: private subnets behind NAT (default) or public ones (no NAT cost)."""

    PRIVATE = "private"
    PUBLIC = "public"


class IngressMode(StrEnum):
    """How the public endpoint is reached; INSECURE_HTTP only when explicitly asked for."""

    ROUTE53 = "https-route53"  # ACM certificate validated through the hosted zone + alias record
    CERTIFICATE = "https-certificate"  # an existing ACM certificate; DNS is the user's job
    INSECURE_HTTP = "http-insecure"  # insecureHttp=true: plain HTTP on the ALB's own DNS name
