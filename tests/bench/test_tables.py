"""docs/BENCHMARKS.md: the bench rewrites the tables between its markers and nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench import plot, tables
from bench.plot import FILE, curves
from bench.results import LATEST, Results, load, save
from service.paths import REPO_ROOT


def test_latest_json_reads_into_the_typed_records_and_keeps_its_keys(tmp_path: Path) -> None:
    results: Results = load(LATEST)
    save(tmp_path / "again.json", results)
    before, after = (
        json.loads(LATEST.read_text()),
        json.loads((tmp_path / "again.json").read_text()),
    )
    assert list(after) == list(before)
    assert (
        after["servers"]["facesim"]["levels"]["16"] == before["servers"]["facesim"]["levels"]["16"]
    )


def test_only_the_marked_blocks_change(tmp_path: Path) -> None:
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text(
        "Prose before, measured at abc1234.\n<!-- bench:table targets -->\nstale\n<!-- /bench:table -->\n"
        "Prose between.\n<!-- bench:table sizing -->\n<!-- /bench:table -->\nProse after.\n"
    )
    results: Results = load(LATEST)
    tables.update(doc, results)
    text = doc.read_text()
    assert "stale" not in text
    assert text.startswith("Prose before, measured at abc1234.\n") and text.endswith(
        "Prose after.\n"
    )
    assert f"| `ready_seconds` | <= 8.0 | {results.ready_seconds:.3f} |" in text
    assert "| smallest 2-vCPU Fargate memory that fits (MiB) | 4096 |" in text


def test_the_committed_document_has_every_table_as_the_bench_writes_it(tmp_path: Path) -> None:
    committed = (REPO_ROOT / "docs" / "BENCHMARKS.md").read_text()
    assert set(re.findall(r"<!-- bench:table (\w+) -->", committed)) == set(tables.TABLES)
    copy = tmp_path / "BENCHMARKS.md"
    copy.write_text(committed)
    tables.update(copy, load(LATEST))
    assert copy.read_text() == committed


def test_a_new_document_gets_every_table(tmp_path: Path) -> None:
    doc = tmp_path / "new.md"
    tables.update(doc, load(LATEST))
    blocks = re.findall(
        r"<!-- bench:table (\w+) -->\n(.*?)<!-- /bench:table -->", doc.read_text(), re.S
    )
    assert {name for name, _ in blocks} == set(tables.TABLES)
    # The recorded run measured everything, so every block is a table, none a "not measured" line.
    assert all(body.startswith("|") for _, body in blocks)


def test_the_plot_has_a_curve_per_server_by_ascending_concurrency(tmp_path: Path) -> None:
    results: Results = load(LATEST)
    found = curves(results)
    phone = {f"{server.label}, phone photos" for server in results.phone_servers.values()}
    assert set(found) == {server.label for server in results.servers.values()} | phone
    facesim = found[results.servers["facesim"].label]
    assert facesim["clients"] == sorted(facesim["clients"]) and len(facesim["clients"]) == 4
    assert facesim["rps"][2] == results.servers["facesim"].levels["16"].throughput_rps
    plot.servers(results, tmp_path / FILE)
    assert (tmp_path / FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
