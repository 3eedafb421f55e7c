"""CloudWatch embedded metric format: the app's own metrics as one JSON log line a minute.

On ECS the awslogs driver ships stdout to CloudWatch Logs, which turns any JSON log event carrying
an `_aws` member into metrics (CloudWatch user guide, "Specification: Embedded metric format").
Every EMF_INTERVAL_SECONDS the publisher reads the Prometheus registry the app keeps anyway
(service/metrics.py), takes the difference since the last line, and writes one document: request
and error counts of the inference routes, forward passes, quantiles estimated from the histogram
buckets (as Prometheus' histogram_quantile does), and readiness. Off unless EMF_NAMESPACE is set;
infra/ sets it to the stage's namespace, which the dashboard reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # annotations only: the CDK app reads the metric names without it
    from prometheus_client import CollectorRegistry

REQUESTS: Final = "Requests"
CLIENT_ERRORS: Final = "ClientErrors"
SERVER_ERRORS: Final = "ServerErrors"
BATCHES: Final = "InferenceBatches"
BATCH_SIZE_MEAN: Final = "BatchSizeMean"
INFERENCE_P50: Final = "InferenceSecondsP50"
INFERENCE_P95: Final = "InferenceSecondsP95"
PREPROCESS_P95: Final = "PreprocessSecondsP95"
REQUEST_P95: Final = "RequestSecondsP95"
READY: Final = "Ready"
UNITS: Final = {
    REQUESTS: "Count",
    CLIENT_ERRORS: "Count",
    SERVER_ERRORS: "Count",
    BATCHES: "Count",
    BATCH_SIZE_MEAN: "None",
    INFERENCE_P50: "Seconds",
    INFERENCE_P95: "Seconds",
    PREPROCESS_P95: "Seconds",
    REQUEST_P95: "Seconds",
    READY: "None",
}
INFERENCE_ROUTES: Final = frozenset({"/predict", "/verify"})

log = logging.getLogger("facesim.metrics")


@dataclass
class Histogram:
    """Cumulative bucket counts (upper bound -> count), total count and sum."""

    buckets: dict[float, float] = field(default_factory=dict)
    count: float = 0.0
    total: float = 0.0

    def minus(self, earlier: Histogram) -> Histogram:
        """What was observed since `earlier`."""
        return Histogram(
            buckets={b: c - earlier.buckets.get(b, 0.0) for b, c in self.buckets.items()},
            count=self.count - earlier.count,
            total=self.total - earlier.total,
        )

    def add(self, other: Histogram) -> None:
        """Merge another label set's observations into this one."""
        for bound, count in other.buckets.items():
            self.buckets[bound] = self.buckets.get(bound, 0.0) + count
        self.count += other.count
        self.total += other.total

    def quantile(self, q: float) -> float | None:
        """Linear interpolation inside the bucket holding rank q (None without observations)."""
        if self.count <= 0:
            return None
        rank = q * self.count
        lower, below = 0.0, 0.0
        for bound in sorted(self.buckets):
            cumulative = self.buckets[bound]
            if cumulative >= rank:
                if bound == float("inf"):
                    return lower  # above the top bucket: its lower edge, as Prometheus does
                inside = cumulative - below
                fraction = (rank - below) / inside if inside > 0 else 1.0
                return lower + (bound - lower) * fraction
            lower, below = bound, cumulative
        return lower


@dataclass
class Snapshot:
    """The registry's cumulative values that the EMF line is made from."""

    histograms: dict[str, Histogram] = field(default_factory=dict)
    statuses: dict[str, float] = field(default_factory=dict)  # "2xx" -> count (inference routes)
    ready: float = 0.0


def snapshot(registry: CollectorRegistry) -> Snapshot:
    """Read the registry once (prometheus_client's own collect(), no private state)."""
    taken = Snapshot()
    for family in registry.collect():
        for sample in family.samples:
            _take(taken, family.name, sample.name, sample.labels, sample.value)
    return taken


def _take(taken: Snapshot, family: str, name: str, labels: Mapping[str, str], value: float) -> None:
    if family == "facesim_ready":
        taken.ready = value
        return
    route = labels.get("route")
    if family == "facesim_http_requests" and name.endswith("_total"):
        if route in INFERENCE_ROUTES:
            status = labels.get("status", "")[:1] + "xx"
            taken.statuses[status] = taken.statuses.get(status, 0.0) + value
        return
    if family == "facesim_http_request_duration_seconds" and route not in INFERENCE_ROUTES:
        return
    if family not in (
        "facesim_inference_seconds",
        "facesim_preprocess_seconds",
        "facesim_inference_batch_size",
        "facesim_http_request_duration_seconds",
    ):
        return
    histogram = Histogram()
    if name.endswith("_bucket"):
        histogram.buckets[float(labels["le"])] = value
    elif name.endswith("_count"):
        histogram.count = value
    elif name.endswith("_sum"):
        histogram.total = value
    taken.histograms.setdefault(family, Histogram()).add(histogram)


def metric_values(now: Snapshot, before: Snapshot) -> dict[str, float]:
    """The values of one EMF line: counts and quantiles of what happened in between."""

    def since(family: str) -> Histogram:
        empty = Histogram()
        return now.histograms.get(family, empty).minus(before.histograms.get(family, empty))

    def count(status: str) -> float:
        return now.statuses.get(status, 0.0) - before.statuses.get(status, 0.0)

    values = {
        REQUESTS: sum(now.statuses.values()) - sum(before.statuses.values()),
        CLIENT_ERRORS: count("4xx"),
        SERVER_ERRORS: count("5xx"),
        READY: now.ready,
    }
    inference, batches = since("facesim_inference_seconds"), since("facesim_inference_batch_size")
    values[BATCHES] = inference.count
    optional = {
        INFERENCE_P50: inference.quantile(0.5),
        INFERENCE_P95: inference.quantile(0.95),
        PREPROCESS_P95: since("facesim_preprocess_seconds").quantile(0.95),
        REQUEST_P95: since("facesim_http_request_duration_seconds").quantile(0.95),
        BATCH_SIZE_MEAN: batches.total / batches.count if batches.count > 0 else None,
    }
    values.update({name: value for name, value in optional.items() if value is not None})
    return {name: round(value, 6) for name, value in values.items()}


def emf_document(namespace: str, values: Mapping[str, float], timestamp_ms: int) -> dict[str, Any]:
    """One EMF document: the metric directive under `_aws`, the values as root members."""
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [[]],
                    "Metrics": [{"Name": name, "Unit": UNITS[name]} for name in values],
                }
            ],
        },
        **values,
    }


class EmfPublisher:
    """Writes one EMF line every `interval` seconds while the app runs (an asyncio task)."""

    def __init__(self, registry: CollectorRegistry, namespace: str, interval: float) -> None:
        self.registry = registry
        self.namespace = namespace
        self.interval = interval
        self._last = snapshot(registry)
        self._task: asyncio.Task[None] | None = None

    def publish(self) -> dict[str, Any]:
        """Write (and return) the document for the time since the previous one."""
        now = snapshot(self.registry)
        document = emf_document(
            self.namespace, metric_values(now, self._last), int(time.time() * 1000)
        )
        self._last = now
        log.info("metrics", extra={"emf": document})
        return document

    def start(self) -> None:
        """Begin publishing on the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="emf")

    async def stop(self) -> None:
        """Publish what the last interval saw, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.publish()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.publish()
