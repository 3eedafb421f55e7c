"""service/emf.py: the app's metrics as CloudWatch embedded-metric-format lines."""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path

import pytest

from service import emf
from service.logs import JsonFormatter
from service.metrics import Metrics
from tests.conftest import ClientFactory


def test_quantiles_interpolate_inside_the_bucket_as_prometheus_does() -> None:
    # 10 observations: 4 in (0, 0.1], 4 in (0.1, 0.5], 2 in (0.5, 1.0]
    histogram = emf.Histogram(buckets={0.1: 4, 0.5: 8, 1.0: 10, float("inf"): 10}, count=10)
    assert histogram.quantile(0.4) == pytest.approx(0.1)
    assert histogram.quantile(0.6) == pytest.approx(0.3)  # halfway through (0.1, 0.5]
    assert histogram.quantile(0.95) == pytest.approx(0.875)
    assert emf.Histogram().quantile(0.5) is None


def test_values_are_what_happened_since_the_previous_line() -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.requests.labels("/predict", "POST", "200").inc()
    metrics.requests.labels("/verify", "POST", "422").inc()
    metrics.requests.labels("/readyz", "GET", "200").inc()  # health checks are not traffic
    metrics.observe_batch(2, 0.04)
    before = emf.snapshot(metrics.registry)
    metrics.requests.labels("/predict", "POST", "503").inc()
    metrics.requests.labels("/predict", "POST", "200").inc()
    metrics.observe_batch(4, 0.2)
    metrics.observe_batch(2, 0.2)
    metrics.ready.set(1)
    values = emf.metric_values(emf.snapshot(metrics.registry), before)
    assert values[emf.REQUESTS] == 2
    assert values[emf.SERVER_ERRORS] == 1 and values[emf.CLIENT_ERRORS] == 0
    assert values[emf.BATCHES] == 2
    assert values[emf.BATCH_SIZE_MEAN] == 3
    assert 0.15 < values[emf.INFERENCE_P95] <= 0.25  # both passes in the (0.15, 0.25] bucket
    assert values[emf.READY] == 1
    assert emf.PREPROCESS_P95 not in values  # nothing observed: no made-up zero


def test_the_document_is_embedded_metric_format() -> None:
    document = emf.emf_document("facesim/staging", {emf.REQUESTS: 5, emf.INFERENCE_P95: 0.2}, 17)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert document["_aws"]["Timestamp"] == 17
    assert directive["Namespace"] == "facesim/staging"
    assert directive["Dimensions"] == [[]]
    assert directive["Metrics"] == [
        {"Name": emf.REQUESTS, "Unit": "Count"},
        {"Name": emf.INFERENCE_P95, "Unit": "Seconds"},
    ]
    assert document[emf.REQUESTS] == 5 and document[emf.INFERENCE_P95] == 0.2


def test_the_log_line_is_the_document_itself() -> None:
    # CloudWatch extracts metrics only from a log event that *is* an EMF object.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("facesim.metrics")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        published = emf.EmfPublisher(Metrics().registry, "facesim/test", 60).publish()
    finally:
        logger.removeHandler(handler)
    assert json.loads(stream.getvalue()) == published
    assert "_aws" in published


def test_the_app_writes_lines_only_when_a_namespace_is_set(
    make_client: ClientFactory, tiny_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="facesim.metrics")
    with make_client(model_uri=str(tiny_model)) as client:
        client.get("/healthz")
    assert not [r for r in caplog.records if hasattr(r, "emf")]
    with make_client(
        model_uri=str(tiny_model), emf_namespace="facesim/test", emf_interval_seconds=0.05
    ) as client:
        time.sleep(0.3)
    lines = [r.emf for r in caplog.records if hasattr(r, "emf")]  # type: ignore[attr-defined]
    assert len(lines) >= 2  # periodic, plus the last one at shutdown
    assert all(
        line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "facesim/test" for line in lines
    )
    assert lines[-1][emf.READY] == 0  # stopped: not ready any more
