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


class Rollout(StrEnum):
    """How ECS moves traffic to a new release (ECS's own deployment controller for all four)."""

    BLUE_GREEN = "blue-green"  # all new tasks, smoke-tested on the test rule, then all traffic
    CANARY = "canary"  # the same, but 10 % of traffic first, for the bake time
    LINEAR = "linear"  # the same, in 25 % steps
    ROLLING = "rolling"  # replace tasks in place: no test traffic, no hook (non-production)
