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

import numpy as np

from service.admission import Admission
from service.config import Settings
from service.errors import ModelError, ModelNotReady
from service.inference import BatchFunction, InferenceQueue
from service.kinds.base import Kind
from service.manifest import ModelManifest
from service.metrics import Metrics
from service.model_store import S3Options, fetch_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """What every kind's requests may ask about the model being served."""

    manifest: ModelManifest
    sha256: str
    source_uri: str
    loaded_at: datetime


class Runtime:
    """Owns start-up, readiness, admission and the inference queue of one process."""

    def __init__(self, settings: Settings, metrics: Metrics, kind: Kind) -> None:
        self.settings = settings
        self.kind = kind
        self.metrics = metrics
        self.loaded: LoadedModel | None = None
        self.queue: InferenceQueue | None = None
        self.fatal_error: str | None = None
        self.stopping = False
        self.draining = False  # the server takes no new connections (SIGTERM); set by __main__
        self._task: asyncio.Task[None] | None = None
        self.admission = Admission(
            max_queue=settings.max_queue,
            max_active=settings.active_requests,
            queue_timeout=settings.queue_timeout,
        )
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
        self.kind.close()
        self.preprocess_pool.shutdown(wait=False, cancel_futures=True)
        gc.unfreeze()  # back to the collector: a process (the tests) may start another app

    async def _start(self, on_fatal: Callable[[str], None]) -> None:
        """Load in a worker thread; on failure log one clear line and ask the process to exit."""
        try:
            predict, loaded = await asyncio.to_thread(self._load)
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
            predict,
            max_batch=self.settings.max_batch_size,
            max_queue=self.settings.max_queue,
            observe=self.metrics.observe_batch,
            fill=self.settings.batch_fill,
            max_wait=self.settings.batch_wait,
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
                "kind": loaded.manifest.kind,
                "version": loaded.manifest.version,
                # Say it out loud: an API_KEYS secret that resolved to blanks turns auth off.
                "api_key_auth": "on" if self.settings.api_key_set else "off",
                "cors": "on" if self.settings.cors_origin_list else "off",
                "preprocess_threads": self.settings.preprocess_workers,
            },
        )

    def _load(self) -> tuple[BatchFunction, LoadedModel]:
        """Fetch + verify, the kind's checks, import TensorFlow, load, fit the kind, warm up."""
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
        manifest = fetched.manifest
        if manifest.kind != self.kind.name:
            raise ModelError(
                f"the model's manifest says kind {manifest.kind!r}, but this service was started "
                f"for {self.kind.name!r}: set MODEL_KIND={manifest.kind}"
            )
        # The kind's manifest fields and files are checked before TensorFlow is imported.
        self.kind.open(manifest, s)
        t1 = time.perf_counter()
        # TensorFlow is imported here, off the event loop and after the cheap checks.
        from service import model as model_module

        model_module.configure_threads(s.tf_threads, s.tf_inter_threads)
        phases["import"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        model = model_module.load_keras(fetched.path)
        predict = self.kind.bind(model.signature, model.predict)
        phases["load"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        warm = predict(self.kind.warm_up_inputs())
        if not np.all(np.isfinite(warm)):
            raise ModelError("warm-up inference returned non-finite numbers")
        self.kind.warm_up()
        phases["warmup"] = time.perf_counter() - t3
        for phase, seconds in phases.items():
            self.metrics.startup.labels(phase).set(seconds)
        self.metrics.model_info.labels(manifest.name, manifest.version, fetched.sha256).set(1)
        loaded = LoadedModel(
            manifest=manifest,
            sha256=fetched.sha256,
            source_uri=fetched.source_uri,
            loaded_at=datetime.now(UTC),
        )
        log.info(
            "model loaded",
            extra={
                "uri": fetched.source_uri,
                "sha256": fetched.sha256,
                **{f"{k}_s": round(v, 3) for k, v in phases.items()},
            },
        )
        return predict, loaded
