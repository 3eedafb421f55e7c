"""The headline ratios, the targets' verdicts and percentiles, from figures given by hand."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bench.figures import headline, kind_ratios, merge_timings, summarize_ms, timing, verdicts
from bench.results import LATEST, InProcess, KindResult, Level, Results, Server, Startup, load


def test_percentiles_interpolate_between_closest_ranks() -> None:
    found = summarize_ms([4.0, 1.0, 3.0, 2.0])
    assert found["p50_ms"] == pytest.approx(2.5) and found["p99_ms"] == pytest.approx(3.97)
    assert found["mean_ms"] == 2.5 and found["max_ms"] == 4.0
    assert summarize_ms([5.0])["p99_ms"] == 5.0
    assert all(math.isnan(v) for v in summarize_ms([]).values())


def test_merged_timings_pool_the_rounds_calls_and_cpu() -> None:
    merged = merge_timings([timing([10.0, 30.0], cpu_s=0.04), timing([20.0], cpu_s=0.02)])
    assert merged.n == 3 and merged.rounds == 2 and merged.p50_ms == 20.0
    assert merged.cpu_ms_per_call == pytest.approx(20.0) and merged.throughput_rps == pytest.approx(
        50.0
    )


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
    facesim = Server(label="facesim", ready_s=1.0, processes=1, rss_after_warmup_mb=650.0,
                     peak_rss_mb=700.0, levels=levels, distances=[0.1, 0.9], most_similar="img1")  # fmt: skip
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
    assert verdicts(figures | {"ready_seconds": 9.0})["ready_seconds"].met is False


def test_kind_ratios_name_every_kind_and_none_for_one_not_measured() -> None:
    tabular = KindResult("tabular-classification", {}, "rows", [], 3.0, {})
    assert kind_ratios({"tabular": tabular}) == {
        "ratio_throughput_c16_vs_naive_image": None,
        "ratio_throughput_c16_vs_naive_tabular": 3.0,
    }
