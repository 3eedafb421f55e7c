"""One run's figures as typed records; LATEST (reports/bench/latest.json) is their JSON (same keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from service.paths import REPO_ROOT

BENCH_DIR = REPO_ROOT / "reports" / "bench"  # latest.json, history.json, tuning.json
LATEST = BENCH_DIR / "latest.json"


@dataclass
class Timing:
    """Back-to-back calls of one in-process step."""

    n: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    throughput_rps: float
    cpu_ms_per_call: float
    cpu_s: float
    latencies_ms: list[float]
    rounds: int = 1


@dataclass
class Stages:
    """CPU ms per request of each stage, and how many of the three images reach each detection pass."""

    cpu_ms: dict[str, float]
    images_reaching_pass: dict[str, int]


@dataclass
class InProcess:
    """The limit: the work without HTTP (a figure a model does not have is None)."""

    forward_b1: Timing
    pipeline: Timing
    pipeline_sequential: Timing
    predict_b1: Timing
    detect_3: Timing
    detect_3_single_pass: Timing
    dlib_descriptor_3: Timing | None
    stages: Stages | None
    gc_pause_ms: dict[str, float] | None
    distances: list[float]
    tf_threads: int
    phone_pipeline: Timing | None = None  # the pipeline on the phone photos (same faces, 12 MP)
    phone_stages: Stages | None = None


@dataclass
class Level:
    """One server at one concurrency: the load generator's figures and the server's CPU and memory."""

    concurrency: int
    rounds: int
    duration_s: float
    warmup_s: list[float]
    ok: int
    errors: dict[str, int]
    error_count: int
    completed_total: int
    throughput_rps: float
    throughput_rps_per_round: list[float]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    server_cpu_s: float
    server_cpu_cores: float
    server_cpu_ms_per_request: float
    server_peak_rss_mb: float
    server_rss_mb: float
    loadgen_cpu_s: float
    sample_response: str
    latencies_ms: list[float]
    mean_batch_size: float | None = None


@dataclass
class Served:
    """What every measured server has: its start, memory and levels (by concurrency as a JSON key)."""

    label: str
    ready_s: float
    processes: int
    rss_after_warmup_mb: float
    peak_rss_mb: float
    levels: dict[str, Level]


@dataclass
class Server(Served):
    """A face server, with the distances and choice of its answer to the triplet."""

    distances: list[float | None]
    most_similar: str | None


@dataclass
class Answer:
    """A classifier's answer to one request: its label and every label's probability."""

    label: str
    probabilities: dict[str, float]


@dataclass
class KindServer(Served):
    """A server of a classifier kind, with its answer to each request of the workload, in order."""

    answers: list[Answer]


@dataclass
class KindResult:
    """A classifier kind: our service and the naive peer on the same model and the same requests."""

    kind: str
    model: dict[str, Any]
    inputs: str
    requests: list[str]  # what each request sends, in the order the clients send them
    ratio_throughput_c16_vs_naive: float | None
    servers: dict[str, KindServer]  # "ours", "naive"


@dataclass
class Startup:
    """Process start to /readyz 200 from moto's S3, each run split by phase (seconds)."""

    model_uri: str
    runs: list[dict[str, float]]
    ready_seconds: float
    median_run: dict[str, float]


@dataclass
class Verdict:
    """A target, the measured value and whether it was met (None: not measured)."""

    value: float | None
    target: str
    met: bool | None


@dataclass
class Tuning:
    """The last A/B run of the service's settings (scripts/bench.py --ab)."""

    generated_at: str
    model: str
    variants: dict[str, dict[str, str]]
    medians: dict[str, dict[str, float]]
    runs: list[dict[str, Any]]
    other_cpu_users_at_start: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class Results:
    """Everything one `make bench` measured; the headline ratios come first in the JSON."""

    ratio_p50_c1_vs_inprocess: float | None
    ratio_throughput_c16_vs_naive: float | None
    ratio_throughput_c16_vs_naive_image: float | None = None
    ratio_throughput_c16_vs_naive_tabular: float | None = None
    ratio_throughput_c16_vs_bentoml: float | None
    ratio_throughput_c16_vs_face_recognition: float | None
    ratio_p99_vs_p50_c16: float | None
    ready_seconds: float
    # The phone-photo workload, BentoML at every level, overload and the share of the cores
    # (bench/figures.py workload_figures; None: not measured).
    phone_ratio_p50_c1_vs_inprocess: float | None = None
    phone_ratio_throughput_c16_vs_naive: float | None = None
    phone_ratio_throughput_c16_vs_bentoml: float | None = None
    phone_ratio_throughput_c16_vs_face_recognition: float | None = None
    phone_ratio_p99_vs_p50_c16: float | None = None
    phone_http_cpu_ms_per_request: float | None = None
    phone_same_winner: float | None = None
    phone_max_distance_change: float | None = None
    phone_peak_rss_mb_c64: float | None = None
    min_ratio_vs_bentoml_throughput_small: float | None = None
    min_ratio_vs_bentoml_throughput_phone: float | None = None
    min_ratio_vs_bentoml_p50_small: float | None = None
    min_ratio_vs_bentoml_p50_phone: float | None = None
    overload_ratio_throughput_c64_vs_c16_small: float | None = None
    overload_ratio_throughput_c64_vs_c16_phone: float | None = None
    overload_ratio_p99_c64_vs_c16_small: float | None = None
    overload_ratio_p99_c64_vs_c16_phone: float | None = None
    limit_fraction_small: float | None = None
    limit_fraction_phone: float | None = None
    forward_ms_per_face: float | None
    dlib_forward_ms_per_face: float | None
    rss_mb_per_worker: float
    targets: dict[str, Verdict]
    generated_at: str
    command: str
    config: dict[str, Any]
    machine: dict[str, Any]
    model: dict[str, Any]
    inputs: str
    skipped: dict[str, str]
    inprocess: InProcess
    servers: dict[str, Server]
    phone_servers: dict[str, Server] = field(default_factory=dict)  # the same servers, phone photos
    kinds: dict[str, KindResult] = field(default_factory=dict)  # "image", "tabular"
    startup: Startup
    tuning: Tuning | None
    wall_seconds: float
    derived: dict[str, float | None]
    history: list[dict[str, Any]]


def load(path: Path, kind: type[Any] = Results) -> Any:
    """A record (Results by default) from its JSON file."""
    return TypeAdapter(kind).validate_json(path.read_bytes())


def save(path: Path, record: object) -> None:
    """A record as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(TypeAdapter(type(record)).dump_json(record, indent=2) + b"\n")
