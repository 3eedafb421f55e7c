"""Prometheus metrics, one registry per app so several apps (tests) never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Requests and latency by route and status, preprocessing and inference time, model info."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "facesim_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "facesim_http_request_duration_seconds",
            "HTTP request latency by route, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.preprocess = Histogram(
            "facesim_preprocess_seconds",
            "decode + face crop time per image",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.inference = Histogram(
            "facesim_inference_seconds",
            "model forward-pass time per batch",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "facesim_inference_batch_size",
            "triplets per forward pass",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )
        self.errors = Counter(
            "facesim_errors",
            "error responses by code",
            ["code"],
            registry=self.registry,
        )
        self.ready = Gauge(
            "facesim_ready", "1 when the model is loaded and warmed", registry=self.registry
        )
        self.model_info = Gauge(
            "facesim_model_info",
            "the model being served (value is always 1)",
            ["name", "version", "sha256"],
            registry=self.registry,
        )
        self.startup = Gauge(
            "facesim_startup_seconds",
            "start-up phase durations",
            ["phase"],
            registry=self.registry,
        )

    def observe_batch(self, size: int, seconds: float) -> None:
        """Called by the inference queue after each forward pass."""
        self.batch_size.observe(size)
        self.inference.observe(seconds)

    def render(self) -> bytes:
        """Text exposition format."""
        return generate_latest(self.registry)
