"""The classifier kinds in the bench: our service and the naive peer on each kind's model, sent the
same requests, and the ratio of their throughputs at 16 concurrent clients.

The image kind is sent MNIST digits drawn as the page sends them, the tabular kind table rows one
per request, as the generated form sends them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.figures import c16_rps, ratio
from bench.loadgen import Payload
from bench.results import KindResult
from bench.rounds import Contestant, Measured
from bench.servers import naive_spec, service_spec
from service.kinds.tabular.features import CategoricalFeature, Feature, example_row
from service.kinds.tabular.manifest import TabularManifest
from service.manifest import KindName, manifest_path_for, read_manifest, validate_manifest
from service.paths import EXAMPLES_DIR, REPO_ROOT, repo_relative
from training.examples.datasets import read_idx
from training.examples.samples import encode, render

KIND_MODELS = {
    "image": REPO_ROOT / "models" / "digits-cnn-1.0.0.h5",
    "tabular": REPO_ROOT / "models" / "census-income-1.0.0.h5",
}
KIND_LEVELS = (1, 16)
ROLES = ("ours", "naive")
MNIST = EXAMPLES_DIR / "mnist"
SPREAD_ROWS = 7  # rows beside the example, spread over every feature's range and categories


@dataclass(frozen=True)
class Requests:
    """A classifier workload: what the clients send in turn, a line on each, where it came from."""

    payloads: list[Payload]
    described: list[str]
    source: str


def digit_requests(_: Path) -> Requests:
    """The first MNIST image of each digit, drawn as the page's 280x280 canvas sends it (a PNG)."""
    images_file = MNIST / "digits8k-images-idx3-ubyte.gz"
    images, labels = read_idx(images_file), read_idx(MNIST / "digits8k-labels-idx1-ubyte.gz")
    picked = [int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]
    files = {
        f"digit-{labels[i]}-mnist-{i}.png": encode(render(images[i], "canvas"), "PNG")
        for i in picked
    }
    source = (
        f"{os.path.relpath(images_file, REPO_ROOT)}: the first image of each digit (indices "
        f"{', '.join(map(str, picked))}) as 280x280 canvas drawings (PNG)"
    )
    payloads = [
        Payload.multipart({"image": (name, data, "image/png")}) for name, data in files.items()
    ]
    return Requests(payloads, list(files), source)


def spread_row(features: Sequence[Feature], index: int) -> dict[str, float | str]:
    """Row `index` of SPREAD_ROWS: numbers stepped through their bounds, categories taken in turn."""
    row: dict[str, float | str] = {}
    for position, feature in enumerate(features):
        if isinstance(feature, CategoricalFeature):
            row[feature.name] = feature.categories[(index + position) % len(feature.categories)]
            continue
        value = feature.minimum + (feature.maximum - feature.minimum) * (index + 0.5) / SPREAD_ROWS
        whole = float(feature.minimum).is_integer() and float(feature.maximum).is_integer()
        row[feature.name] = round(value) if whole else round(value, 3)
    return row


def row_requests(model: Path) -> Requests:
    """One row per request: the manifest's example row, then rows spread over the features."""
    path = manifest_path_for(model)
    manifest = validate_manifest(read_manifest(path), TabularManifest, str(model))
    rows = [example_row(manifest.features)]
    rows += [spread_row(manifest.features, i) for i in range(SPREAD_ROWS)]
    payloads = [Payload.json({"rows": [row]}) for row in rows]
    source = (
        f"{path.name}: its example row and {SPREAD_ROWS} rows spread over "
        "every feature's bounds and categories, one row per request"
    )
    return Requests(payloads, [p.body.decode() for p in payloads], source)


# Each workload: the manifest kind its model must have, and how its requests are made.
WORKLOADS: dict[str, tuple[KindName, Callable[[Path], Requests]]] = {
    "image": ("image-classification", digit_requests),
    "tabular": ("tabular-classification", row_requests),
}


def manifest_keys(model: Path, *keys: str) -> dict[str, Any]:
    """These keys of the model's manifest, in this order (not the bulky training details)."""
    manifest = read_manifest(manifest_path_for(model)).model_dump(include=set(keys))
    return {k: manifest[k] for k in keys if k in manifest}


@dataclass(frozen=True)
class KindWorkload:
    """A kind's model and the requests both its servers are sent."""

    name: str
    kind: KindName
    model: Path
    requests: Requests

    def server(self, role: str) -> str:
        """The name of one of its servers in the run (and of its log)."""
        return f"{self.name}-{role}"


def kind_workloads(models: Mapping[str, Path], skipped: dict[str, str]) -> list[KindWorkload]:
    """A workload per kind whose model is here; an absent model is recorded as skipped."""
    found = []
    for name, model in models.items():
        if not model.is_file():
            skipped[f"{name} kind"] = f"model {repo_relative(model)} not found"
            continue
        kind, make = WORKLOADS[name]
        if (declared := read_manifest(manifest_path_for(model)).kind) != kind:
            raise ValueError(f"{model} is a {declared} model; the {name} workload needs {kind}")
        found.append(KindWorkload(name, kind, model, make(model)))
    return found


def kind_contestants(
    workloads: list[KindWorkload], levels: tuple[int, ...], cache: Path, env: dict[str, str]
) -> list[Contestant]:
    """Our service (with the run's settings) and the naive peer on each kind's model."""
    contestants = []
    for w in workloads:
        label, payloads = f"this service ({w.kind})", w.requests.payloads
        ours = service_spec(w.server("ours"), label, w.model, cache / w.name, env)
        contestants += [
            Contestant(ours, payloads, levels),
            Contestant(naive_spec(w.server("naive"), w.model), payloads, levels),
        ]
    return contestants


def kind_results(
    workloads: list[KindWorkload],
    measured: dict[str, Measured],
    failed: dict[str, str],
    skipped: dict[str, str],
) -> dict[str, KindResult]:
    """Each kind's servers and ratio; a peer that did not start is recorded as skipped."""
    results = {}
    for w in workloads:
        servers = {r: measured[n].kind_server() for r in ROLES if (n := w.server(r)) in measured}
        skipped |= {name: failed[name] for name in map(w.server, ROLES) if name in failed}
        levels = {role: server.levels for role, server in servers.items()}
        results[w.name] = KindResult(
            kind=w.kind,
            model={
                "path": repo_relative(w.model),
                **manifest_keys(w.model, "name", "version", "sha256"),
            },
            inputs=w.requests.source,
            requests=w.requests.described,
            ratio_throughput_c16_vs_naive=ratio(
                c16_rps(levels.get("ours")), c16_rps(levels.get("naive"))
            ),
            servers=servers,
        )
    return results
