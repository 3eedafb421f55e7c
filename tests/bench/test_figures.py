"""The headline ratios, the targets' verdicts and percentiles, from figures given by hand."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bench.figures import headline, verdicts
from bench.results import LATEST, InProcess, Level, Results, Server, Startup, load
from bench.stats import percentile, timing


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))


def _level(base: Level, p50: float, p99: float, rps: float) -> Level:
    return replace(base, p50_ms=p50, p99_ms=p99, throughput_rps=rps)


def test_headline_ratios_and_verdicts() -> None:
    recorded: Results = load(LATEST)
    some_level = recorded.servers["facesim"].levels["1"]
    pipeline = timing([40.0, 40.0], cpu_s=0.08)
    inprocess: InProcess = replace(recorded.inprocess, pipeline=pipeline, dlib_descriptor_3=None)
    levels = {
        "1": _level(some_level, 44.0, 50.0, 20.0),
        "16": _level(some_level, 600.0, 780.0, 27.0),
    }
    facesim = Server("facesim", 1.0, 1, [0.1, 0.9], "img1", 650.0, 700.0, levels)
    naive = replace(facesim, levels={"16": _level(some_level, 1800.0, 2000.0, 9.0)})
    startup = Startup("s3://b/k.h5", [], 6.0, {})
    figures = headline(inprocess, {"facesim": facesim, "naive": naive}, startup)
    assert figures["ratio_p50_c1_vs_inprocess"] == pytest.approx(1.1)
    assert figures["ratio_throughput_c16_vs_naive"] == pytest.approx(3.0)
    assert figures["ratio_throughput_c16_vs_bentoml"] is None
    assert figures["ratio_p99_vs_p50_c16"] == pytest.approx(1.3)
    assert figures["rss_mb_per_worker"] == 700.0 and figures["dlib_forward_ms_per_face"] is None
    judged = verdicts(figures)
    assert judged["ready_seconds"].met is True
    assert judged["ratio_p99_vs_p50_c16"].met is True
    assert judged["ratio_throughput_c16_vs_bentoml"].met is None
