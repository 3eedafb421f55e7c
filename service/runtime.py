"""The process's one model: fetched, verified, loaded and warmed in the background; readiness follows."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from service.config import Settings
from service.errors import ModelError, ModelNotReady
from service.face_crop import Cropper
from service.inference import InferenceQueue
from service.manifest import ModelManifest
from service.metrics import Metrics
from service.model_store import S3Options, fetch_model

if TYPE_CHECKING:
    from service.model import SiameseModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """Everything a request needs to know about the model being served."""

    manifest: ModelManifest
    sha256: str
    source_uri: str
    loaded_at: datetime
    input_shape: tuple[int, int, int]
    threshold: float
    threshold_source: Literal["manifest", "DISTANCE_THRESHOLD"]
    cropper: Cropper


class Runtime:
    """Owns start-up, readiness and the inference queue of one process."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.loaded: LoadedModel | None = None
        self.queue: InferenceQueue | None = None
        self.fatal_error: str | None = None
        self.stopping = False
        self._task: asyncio.Task[None] | None = None
        self.preprocess_pool = ThreadPoolExecutor(
            settings.preprocess_workers, thread_name_prefix="preprocess"
        )

    @property
    def ready(self) -> bool:
        """Model verified, loaded and warmed, and not shutting down."""
        return self.loaded is not None and self.queue is not None and not self.stopping

    def require_ready(self) -> tuple[LoadedModel, InferenceQueue]:
        """The model and queue, or 503 while start-up is still running (or stopping)."""
        if self.stopping:
            raise ModelNotReady("the service is shutting down")
        if self.loaded is None or self.queue is None:
            detail = self.fatal_error or "the model is still loading"
            raise ModelNotReady(f"not ready: {detail}")
        return self.loaded, self.queue

    def start(self, on_fatal: Callable[[str], None]) -> None:
        """Begin loading in the background so /healthz answers while the model is fetched."""
        self._task = asyncio.get_running_loop().create_task(
            self._start(on_fatal), name="model-load"
        )

    async def stop(self) -> None:
        """Refuse new work, then stop the inference loop."""
        self.stopping = True
        self.metrics.ready.set(0)
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.queue is not None:
            await self.queue.stop()
        if self.loaded is not None:
            self.loaded.cropper.close()
        self.preprocess_pool.shutdown(wait=False, cancel_futures=True)
        gc.unfreeze()  # back to the collector: a process (the tests) may start another app

    async def _start(self, on_fatal: Callable[[str], None]) -> None:
        """Load in a worker thread; on failure log one clear line and ask the process to exit."""
        try:
            model, loaded = await asyncio.to_thread(self._load)
        except ModelError as exc:
            self.fatal_error = str(exc)
            log.error("no valid model; exiting", extra={"reason": str(exc)})
            on_fatal(str(exc))
            return
        except Exception as exc:  # anything else during start-up is equally fatal
            self.fatal_error = f"{type(exc).__name__}: {exc}"
            log.exception("model start-up failed; exiting")
            on_fatal(self.fatal_error)
            return
        queue = InferenceQueue(
            model,
            max_batch=self.settings.max_batch_size,
            max_queue=self.settings.max_queue,
            observe=self.metrics.observe_batch,
        )
        queue.start()
        self.queue = queue
        self.loaded = loaded
        # The model and the libraries live as long as the process. Frozen, they are out of the
        # collector's sight, so a full collection no longer stops every request for ~80 ms.
        gc.collect()
        gc.freeze()
        self.metrics.ready.set(1)
        log.info(
            "ready",
            extra={
                "model": loaded.manifest.name,
                "version": loaded.manifest.version,
                # Say it out loud: an API_KEYS secret that resolved to blanks turns auth off.
                "api_key_auth": "on" if self.settings.api_key_set else "off",
                "cors": "on" if self.settings.cors_origin_list else "off",
                "preprocess_threads": self.settings.preprocess_workers,
            },
        )

    def _load(self) -> tuple[SiameseModel, LoadedModel]:
        """Fetch + verify, import TensorFlow, load, check the manifest against the model, warm up."""
        s = self.settings
        phases: dict[str, float] = {}
        t0 = time.perf_counter()
        fetched = fetch_model(
            s.model_uri,
            cache_dir=s.model_cache_dir,
            expected_sha256=s.model_sha256,
            options=S3Options(s.s3_max_attempts, s.s3_connect_timeout, s.s3_read_timeout),
        )
        phases["download"] = time.perf_counter() - t0
        # The recipe's files are checked before TensorFlow is imported: a wrong one fails fast.
        cropper = Cropper(fetched.manifest.crop, s.face_assets_dir, isolate_cnn=True)
        t1 = time.perf_counter()
        from service import model as model_module  # TensorFlow is imported here, off the event loop

        model_module.configure_threads(s.tf_threads)
        phases["import"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        model = model_module.load_siamese(fetched.path)
        phases["load"] = time.perf_counter() - t2
        if tuple(fetched.manifest.input_shape) != model.input_shape:
            raise ModelError(
                f"manifest input_shape {list(fetched.manifest.input_shape)} differs from the "
                f"model's {list(model.input_shape)}"
            )
        t3 = time.perf_counter()
        model.warm_up()
        cropper.warm_up()
        phases["warmup"] = time.perf_counter() - t3
        for phase, seconds in phases.items():
            self.metrics.startup.labels(phase).set(seconds)
        manifest = fetched.manifest
        self.metrics.model_info.labels(manifest.name, manifest.version, fetched.sha256).set(1)
        override = s.distance_threshold
        loaded = LoadedModel(
            manifest=manifest,
            sha256=fetched.sha256,
            source_uri=fetched.source_uri,
            loaded_at=datetime.now(UTC),
            input_shape=model.input_shape,
            threshold=override if override is not None else manifest.threshold,
            threshold_source="DISTANCE_THRESHOLD" if override is not None else "manifest",
            cropper=cropper,
        )
        log.info(
            "model loaded",
            extra={
                "uri": fetched.source_uri,
                "sha256": fetched.sha256,
                **{f"{k}_s": round(v, 3) for k, v in phases.items()},
            },
        )
        return model, loaded
