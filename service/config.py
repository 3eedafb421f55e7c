"""All settings in one place: environment variables with documented defaults, validated at start-up."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.cpus import available_cpus
from service.manifest import KindName
from service.paths import REPO_ROOT as REPO_ROOT

DEFAULT_MODEL = REPO_ROOT / "models" / "facesim-resnet-2.0.2.h5"
DEFAULT_FACE_ASSETS = REPO_ROOT / "models" / "dlib"
MIB = 1024 * 1024
# Container secrets as files named after their setting (compose.yaml mounts /run/secrets/api_keys);
# the environment wins over them (ECS passes API_KEYS as a variable).
SECRETS_DIR = Path("/run/secrets")


class Settings(BaseSettings):
    """Service configuration; every field maps to the upper-case environment variable of its name."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        extra="ignore",
        protected_namespaces=(),
        frozen=True,
        secrets_dir=SECRETS_DIR if SECRETS_DIR.is_dir() else None,
    )

    model_uri: str = Field(
        str(DEFAULT_MODEL),
        description="s3://bucket/key.h5 or a local path to the .h5; its manifest is the .json beside it",
    )
    model_kind: KindName | None = Field(
        None,
        description="face-similarity, image-classification or tabular-classification; default: "
        "the manifest beside a local model, else face-similarity (must match the manifest)",
    )
    model_sha256: str | None = Field(
        None,
        description="expected sha256 of the .h5, which must also agree with the manifest; "
        "default: the manifest's",
    )
    face_assets_dir: Path = Field(
        DEFAULT_FACE_ASSETS,
        description="face models: where the dlib files the crop recipe names are (their sha256 "
        "checked against the manifest at start-up)",
    )
    model_cache_dir: Path = Field(
        REPO_ROOT / ".cache" / "models",
        description="where S3 downloads are kept (reused while their checksum matches)",
    )
    distance_threshold: float | None = Field(
        None,
        ge=0.0,
        description="face models: override the manifest's same-person threshold, in the model's "
        "distance (lower it where a false 'same person' costs more than a miss); the probability "
        "0.5 moves with it, so verdict and probability still agree",
    )
    max_upload_bytes: int = Field(8 * MIB, gt=0, description="per image, bytes")
    max_request_bytes: int = Field(
        32 * MIB,
        gt=0,
        description="whole request body, bytes; nginx's client_max_body_size matches it",
    )
    max_image_pixels: int = Field(
        40_000_000, gt=0, description="per image, width x height, checked before decoding"
    )
    max_rows: int = Field(
        100, ge=1, le=10_000, description="tabular models: rows per POST /predict request"
    )
    host: str = Field("127.0.0.1", min_length=1, description="address to listen on")
    port: int = Field(8000, ge=1, le=65535, description="port to listen on (PaaS platforms set it)")
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        "info", description="logs are JSON lines on stdout, each with its request_id"
    )
    graceful_timeout: float = Field(
        20.0, gt=0, description="seconds in-flight requests get after SIGTERM"
    )
    s3_max_attempts: int = Field(
        5,
        ge=1,
        le=20,
        description="attempts per S3 download, the first included; between them 0.5 s, doubling up "
        "to 8 s, each logged",
    )
    s3_connect_timeout: float = Field(5.0, gt=0, description="seconds to connect to S3")
    s3_read_timeout: float = Field(30.0, gt=0, description="seconds to wait for S3's next bytes")
    max_batch_size: int = Field(8, ge=1, le=256, description="requests fused into one forward pass")
    # Four: a forward pass costs less CPU per request in a batch of 4 than of 1 or 2; with four
    # clients on 2 vCPUs batches grew from 1.8 to 4 requests, CPU per request fell 10 %, throughput
    # rose 6 % and the p99 fell from 221 to 174 ms (docs/BENCHMARKS.md, the BATCH_FILL A/B).
    batch_fill: int = Field(
        4,
        ge=1,
        description="a batch smaller than this waits (up to BATCH_WAIT) for requests whose images "
        "are being decoded and cropped right now; 1 = never wait",
    )
    # Cropping the small photos of four clients takes tens of milliseconds; the bound is for phone
    # photos, whose crops take about a second under load (a batch would wait for nothing then).
    batch_wait: float = Field(
        0.15,
        ge=0,
        description="the longest such wait in seconds; a lone request never waits",
    )
    # 24: with 64 clients on 2 vCPUs the p99 stayed at 1.5x that of 16 clients (32: 2.1x) for 0.96x
    # their throughput; docs/BENCHMARKS.md, Overload.
    max_queue: int = Field(
        24,
        ge=1,
        description="requests in the service (their bodies read, in line or worked on) before "
        "503 overloaded; bounds their memory to MAX_QUEUE x MAX_REQUEST_BYTES",
    )
    max_active: int = Field(
        0,
        ge=0,
        description="requests decoded, cropped and sent to the model at once, the rest in line; "
        "0 = MAX_BATCH_SIZE + the preprocess threads (a full batch while the threads decode)",
    )
    # Twice the p99 latency at 16 clients (about 0.7 s for the small photos and 3 s for phone
    # photos on 2 vCPUs) would still be 'in time'; the default sits between them.
    queue_timeout: float = Field(
        3.0,
        gt=0,
        description="seconds a request may wait in line for its turn; one expected to wait "
        "longer is answered 503 overloaded at once (Retry-After: when there should be room for it)",
    )
    # One: the decode threads already fill the cores, and a single-threaded forward pass cost 6 %
    # less CPU per request and gave 7 % more throughput on 2 vCPUs (docs/BENCHMARKS.md).
    tf_threads: int = Field(
        1, ge=0, description="TensorFlow intra-op threads; 0 = the CPUs the process may use"
    )
    # The CPUs: with one intra-op thread, operations of the graph that do not depend on each other
    # run at once, so a lone request's forward pass uses the idle cores, for the same CPU per
    # request (the A/B against TF_INTER_THREADS=1 in docs/BENCHMARKS.md).
    tf_inter_threads: int = Field(
        0,
        ge=0,
        description="TensorFlow inter-op threads, which run independent parts of the model at once; "
        "0 = the CPUs the process may use",
    )
    # As many as the CPUs: more threads only interleave requests on the cores (p99 at concurrency
    # 16 was 1.4-1.6x p50 with six threads, 1.1x with two, for 9 % less throughput; docs/BENCHMARKS.md).
    preprocess_threads: int = Field(
        0,
        ge=0,
        le=64,
        description="threads decoding and cropping uploads; 0 = the CPUs the process may use",
    )
    api_keys: str = Field(
        "",
        description="comma-separated keys accepted in X-API-Key on the model's routes; empty = no "
        "auth; also read from the file /run/secrets/api_keys",
        repr=False,
    )
    cors_origins: str = Field("", description="comma-separated allowed origins; empty = CORS off")
    docs_enabled: bool = Field(True, description="serve /docs, /redoc and /openapi.json")
    emf_namespace: str = Field(
        "",
        description="CloudWatch namespace of an EMF metrics line every EMF_INTERVAL_SECONDS; "
        "empty = off",
    )
    emf_interval_seconds: float = Field(60.0, gt=0, description="seconds between EMF lines")

    @field_validator("model_sha256")
    @classmethod
    def _sha256_hex(cls, value: str | None) -> str | None:
        """A sha256 is 64 hex digits; anything else is a typo that would fail later."""
        if value in (None, ""):
            return None
        assert value is not None
        if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError("must be 64 hexadecimal characters")
        return value.lower()

    @field_validator("model_uri")
    @classmethod
    def _uri_shape(cls, value: str) -> str:
        """Catch malformed S3 URIs and wrong file kinds before anything is downloaded."""
        if value.startswith("s3://"):
            bucket, _, key = value[5:].partition("/")
            if not bucket or not key:
                raise ValueError("an S3 URI needs a bucket and a key: s3://bucket/path/model.h5")
        if not value.lower().endswith((".h5", ".hdf5")):
            raise ValueError("must point at a Keras .h5 file")
        return value

    @cached_property
    def api_key_set(self) -> frozenset[str]:
        """The accepted API keys."""
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @cached_property
    def preprocess_workers(self) -> int:
        """PREPROCESS_THREADS, with 0 resolved to the CPUs the process may use."""
        return self.preprocess_threads or available_cpus()

    @cached_property
    def active_requests(self) -> int:
        """MAX_ACTIVE, with 0 resolved to a batch plus the preprocess threads."""
        return self.max_active or self.max_batch_size + self.preprocess_workers

    @cached_property
    def cors_origin_list(self) -> list[str]:
        """The allowed CORS origins."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def describe_error(exc: ValidationError) -> str:
    """One line naming each wrong setting, for the start-up failure message."""
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]).upper() or "SETTINGS"
        parts.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
    return "invalid configuration: " + "; ".join(parts)
