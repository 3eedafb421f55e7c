"""The classifier kinds' workloads, results and table, from tiny models and figures given by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import tables
from bench.kinds import (
    SPREAD_ROWS,
    KindWorkload,
    Requests,
    kind_results,
    kind_workloads,
    row_requests,
    spread_row,
)
from bench.procstats import TreeStats
from bench.results import LATEST, Results, load
from bench.rounds import Measured
from bench.servers import ServerSpec, Started
from service.kinds.tabular.manifest import TabularManifest
from service.kinds.tabular.request import parse_rows, request_model
from tests.support.tiny_model import write_tabular_model


@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tabular_model(tmp_path_factory.mktemp("tabular"))


def test_row_requests_are_one_valid_row_each_starting_with_the_example(table_model: Path) -> None:
    manifest = TabularManifest.model_validate_json(table_model.with_suffix(".json").read_text())
    schema = request_model(manifest.features, max_rows=100)
    requests = row_requests(table_model)
    rows = [parse_rows(p.body, schema) for p in requests.payloads]
    assert all(len(r) == 1 for r in rows) and len(rows) == 1 + SPREAD_ROWS
    assert rows[0][0] == {"age": 39, "hours": 40, "workclass": "State-gov"}
    assert {r[0]["workclass"] for r in rows} == {"Private", "State-gov", "?"}
    assert len({json.dumps(r[0], sort_keys=True) for r in rows}) == len(rows)  # no two alike
    assert all(p.content_type == "application/json" for p in requests.payloads)


def test_spread_rows_stay_within_bounds_and_whole_when_the_bounds_are() -> None:
    manifest = TabularManifest.model_validate(
        {"name": "t", "version": "1", "sha256": "0" * 64, "labels": ["a", "b"],
         "features": [{"name": "x", "type": "numeric", "minimum": 0.5, "maximum": 1.5, "example": 1},
                      {"name": "n", "type": "numeric", "minimum": 1, "maximum": 99, "example": 9}]}
    )  # fmt: skip
    rows = [spread_row(manifest.features, i) for i in range(SPREAD_ROWS)]
    xs, ns = [r["x"] for r in rows], [r["n"] for r in rows]
    assert all(isinstance(x, float) and 0.5 <= x <= 1.5 for x in xs) and xs[0] != xs[-1]
    assert all(isinstance(n, int) and 1 <= n <= 99 for n in ns)


def test_a_kind_whose_model_is_absent_is_recorded_as_skipped(
    table_model: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-digits.h5"
    skipped: dict[str, str] = {}
    found = kind_workloads({"image": missing, "tabular": table_model}, skipped)
    assert [w.name for w in found] == ["tabular"] and len(found[0].requests.payloads) == 8
    assert set(skipped) == {"image kind"} and "no-such-digits.h5" in skipped["image kind"]


def test_a_classifier_answer_is_an_image_answer_or_the_first_row_of_a_table_answer() -> None:
    image = {"label": "7", "probabilities": {"7": 0.9, "1": 0.1}, "model": {}}
    rows = {"predictions": [{"label": "no", "probabilities": {"no": 0.6, "yes": 0.4}}]}
    found = _measured("x", 1.0, answers=[image, rows]).kind_server().answers
    assert found[0].label == "7" and found[1].probabilities["yes"] == 0.4


def _measured(name: str, rps_c16: float, answers: list[dict[str, Any]] | None = None) -> Measured:
    recorded: Results = load(LATEST)
    some = recorded.servers["facesim"].levels["16"]
    spec = ServerSpec(name, f"{name} label", ("true",))
    answer = {"predictions": [{"label": "no", "probabilities": {"no": 0.6, "yes": 0.4}}]}
    warm = TreeStats((1,), 1.0, 300.0, 310.0)
    started = Started(spec, "http://x", 1, 2.0, answers or [answer], warm)
    levels = {"1": replace(some, concurrency=1), "16": replace(some, throughput_rps=rps_c16)}
    return Measured(started, levels, TreeStats((1,), 2.0, 300.0, 320.0))


def test_kind_results_give_the_ratio_at_16_and_record_a_peer_that_did_not_start(
    table_model: Path,
) -> None:
    requests = Requests([], ["row"], "rows")
    tab = KindWorkload("tabular", "tabular-classification", table_model, requests)
    img = KindWorkload("image", "image-classification", table_model, requests)
    measured = {
        "tabular-ours": _measured("tabular-ours", 90.0),
        "tabular-naive": _measured("tabular-naive", 30.0),
        "image-ours": _measured("image-ours", 50.0),
    }
    skipped: dict[str, str] = {}
    found = kind_results([tab, img], measured, {"image-naive": "failed to start: boom"}, skipped)
    assert found["tabular"].ratio_throughput_c16_vs_naive == pytest.approx(3.0)
    assert found["tabular"].servers["naive"].answers[0].label == "no"
    assert found["tabular"].model["name"] == "tiny-table"
    assert found["image"].ratio_throughput_c16_vs_naive is None
    assert set(found["image"].servers) == {"ours"}
    assert skipped == {"image-naive": "failed to start: boom"}


def test_the_kinds_table_has_a_row_per_server_and_level_and_the_ratio_on_ours_at_16(
    table_model: Path,
) -> None:
    requests = Requests([], ["row"], "the example row")
    tab = KindWorkload("tabular", "tabular-classification", table_model, requests)
    measured = {"tabular-ours": _measured("tabular-ours", 90.0)}
    measured["tabular-naive"] = _measured("tabular-naive", 30.0)
    results = replace(load(LATEST), kinds=kind_results([tab], measured, {}, {}))
    rows = [line for line in tables.kinds(results).splitlines() if line.startswith("| tabular")]
    assert len(rows) == 4
    ours_c16 = rows[1]
    assert ours_c16.startswith("| tabular | tabular-ours label | 16 |")
    assert ours_c16.endswith("| 3.00 |")  # the ratio, on ours at 16 only
    assert rows[0].endswith("|  |") and rows[3].endswith("|  |")
    machine = tables.machine(results)
    assert "| tabular kind | `" in machine and "the example row" in machine


def test_the_kinds_table_says_why_no_kind_was_measured() -> None:
    skipped = {"image kind": "model x.h5 not found"}
    results: Results = replace(load(LATEST), kinds={}, skipped=skipped)
    said = tables.kinds(results)
    assert "model x.h5 not found" in said and "|" not in said  # the reason, and no empty table
