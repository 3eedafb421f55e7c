"""The classifier kinds in the bench: our service and the naive peer on each kind's model, sent the
same requests, and the ratio of their throughputs at 16 concurrent clients."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.figures import ratio
from bench.kind_inputs import Requests, digit_requests, row_requests
from bench.results import Answer, KindResult, KindServer
from bench.rounds import Contestant, Measured
from bench.servers import ServerSpec, service_spec
from service.manifest import KindName, manifest_path_for, read_manifest
from service.paths import REPO_ROOT, repo_relative

MODELS = REPO_ROOT / "models"
KIND_MODELS = {
    "image": MODELS / "digits-cnn-1.0.0.h5",
    "tabular": MODELS / "census-income-1.0.0.h5",
}
KIND_LEVELS = (1, 16)
ROLES = ("ours", "naive")
NAIVE = (sys.executable, "-m", "bench.naive_classifier_app", "--model")
# Each workload: the manifest kind its model must have, and how its requests are made.
WORKLOADS: dict[str, tuple[KindName, Callable[..., Requests]]] = {
    "image": ("image-classification", digit_requests),
    "tabular": ("tabular-classification", row_requests),
}


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


def kind_workloads(
    models: Mapping[str, Path], *, allow_fallback: bool, skipped: dict[str, str]
) -> list[KindWorkload]:
    """A workload per kind whose model is here; an absent model is recorded as skipped."""
    found = []
    for name, model in models.items():
        if not model.is_file():
            skipped[f"{name} kind"] = f"model {repo_relative(model)} not found"
            continue
        kind, make = WORKLOADS[name]
        if (declared := read_manifest(manifest_path_for(model)).kind) != kind:
            raise ValueError(f"{model} is a {declared} model; the {name} workload needs {kind}")
        found.append(KindWorkload(name, kind, model, make(model, allow_fallback=allow_fallback)))
    return found


def kind_contestants(
    workloads: list[KindWorkload], levels: tuple[int, ...], cache: Path, env: dict[str, str]
) -> list[Contestant]:
    """Our service (with the run's settings) and the naive peer on each kind's model."""
    contestants = []
    for w in workloads:
        ours = service_spec(
            w.server("ours"), f"this service ({w.kind})", w.model, cache / w.name, env
        )
        naive = ServerSpec(w.server("naive"), "naive FastAPI + predict()", (*NAIVE, str(w.model)))
        payloads = w.requests.payloads
        contestants += [
            Contestant(ours, payloads, levels, required=True),
            Contestant(naive, payloads, levels),
        ]
    return contestants


def answer_of(body: dict[str, Any]) -> Answer:
    """An answer's first prediction (an image's answer is one; rows come as "predictions")."""
    first = body["predictions"][0] if "predictions" in body else body
    return Answer(label=first["label"], probabilities=first["probabilities"])


def kind_server(measured: Measured) -> KindServer:
    """One server's start, answers, memory and levels."""
    started = measured.started
    return KindServer(
        label=started.spec.label,
        ready_s=round(started.ready_s, 3),
        processes=len(started.warm.pids),
        answers=[answer_of(body) for body in started.answers],
        rss_after_warmup_mb=started.warm.rss_mb,
        peak_rss_mb=measured.final.hwm_mb,
        levels=measured.levels,
    )


def _c16_rps(server: KindServer | None) -> float | None:
    level = server.levels.get("16") if server else None
    return level.throughput_rps if level else None


def kind_results(
    workloads: list[KindWorkload],
    measured: dict[str, Measured],
    failed: dict[str, str],
    skipped: dict[str, str],
) -> dict[str, KindResult]:
    """Each kind's servers and ratio; a peer that did not start is recorded as skipped."""
    results = {}
    for w in workloads:
        servers = {r: kind_server(measured[w.server(r)]) for r in ROLES if w.server(r) in measured}
        skipped |= {name: failed[name] for name in map(w.server, ROLES) if name in failed}
        manifest = read_manifest(manifest_path_for(w.model))
        results[w.name] = KindResult(
            kind=w.kind,
            model={"path": repo_relative(w.model)}
            | manifest.model_dump(include={"name", "version", "sha256"}),
            inputs=w.requests.source,
            requests=w.requests.described,
            ratio_throughput_c16_vs_naive=ratio(
                _c16_rps(servers.get("ours")), _c16_rps(servers.get("naive"))
            ),
            servers=servers,
        )
    return results


def kind_ratios(kinds: Mapping[str, KindResult]) -> dict[str, float | None]:
    """The headline figure of each kind: ours / naive throughput at 16 clients (None: not measured)."""
    return {
        f"ratio_throughput_c16_vs_naive_{name}": kinds[name].ratio_throughput_c16_vs_naive
        if name in kinds
        else None
        for name in WORKLOADS
    }
