"""Wires the app: settings, runtime, middleware, error handlers and routers. No logic lives here."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from service import __version__, openapi
from service.api.handlers import register_error_handlers
from service.api.query_params import reject_unknown_query
from service.api.routes import docs as docs_route
from service.api.routes import health, model_info, page
from service.api.routes import metrics as metrics_route
from service.api.routes.page import COMMON_STATIC_DIR
from service.config import Settings
from service.cors import JsonCORSMiddleware
from service.emf import EmfPublisher
from service.kinds.registry import chosen_kind
from service.metrics import Metrics
from service.middleware import RequestContextMiddleware
from service.runtime import Runtime


def stop_process(reason: str) -> None:
    """Default fatal-start-up action: ask uvicorn to shut down; __main__ then exits non-zero."""
    os.kill(os.getpid(), signal.SIGTERM)


def create_app(
    settings: Settings | None = None, *, on_fatal: Callable[[str], None] = stop_process
) -> FastAPI:
    """Build the FastAPI application."""
    settings = settings or Settings()
    metrics = Metrics()
    kind = chosen_kind(settings)
    runtime = Runtime(settings, metrics, kind)

    emf = (
        EmfPublisher(metrics.registry, settings.emf_namespace, settings.emf_interval_seconds)
        if settings.emf_namespace
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start(on_fatal)
        if emf is not None:
            emf.start()
        yield
        await runtime.stop()
        if emf is not None:
            await emf.stop()  # its last line shows the stop

    docs = settings.docs_enabled
    app = FastAPI(
        title="facesim",
        version=__version__,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        docs_url=None,  # served by docs_route with local assets
        redoc_url=None,
        openapi_url=docs_route.OPENAPI_URL if docs else None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.runtime = runtime
    app.state.kind = kind
    openapi.install(app, settings, runtime)
    register_error_handlers(app)
    for router in kind.routers():
        app.include_router(router)
    for module in (health, model_info, metrics_route, page):
        app.include_router(module.router)
    if docs:
        app.include_router(docs_route.router)
        app.mount(
            docs_route.DOCS_STATIC_URL,
            StaticFiles(directory=docs_route.DOCS_STATIC_DIR),
            name="docs-static",
        )
    app.mount("/static/common", StaticFiles(directory=COMMON_STATIC_DIR), name="static-common")
    app.mount("/static", StaticFiles(directory=kind.static_dir), name="static")
    if settings.cors_origin_list:
        app.add_middleware(
            JsonCORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
