"""Every error leaves as {"error": {code, field, message}}; registered once."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import ApiError, InvalidRequest, MethodNotAllowed, NotFound

log = logging.getLogger(__name__)


def error_response(exc: ApiError, request: Request) -> JSONResponse:
    """Render an ApiError and count it."""
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.errors.labels(exc.code).inc()
    if exc.status_code >= 500 and exc.code != "not_ready":
        log.warning("unavailable", extra={"code": exc.code, "reason": exc.message})
    else:
        log.info(
            "client error", extra={"code": exc.code, "field": exc.field, "reason": exc.message}
        )
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers())


async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
    """Domain errors carry their own status."""
    assert isinstance(exc, ApiError)
    return error_response(exc, request)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's parameter validation, in our shape, naming the parameter."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "header", "path")]
    field = ".".join(loc) or None
    return error_response(
        InvalidRequest(f"{field or 'request'}: {first['msg']}", field=field), request
    )


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    """404/405 and friends from routing, in our shape."""
    assert isinstance(exc, StarletteHTTPException)
    err: ApiError
    if exc.status_code == 404:
        err = NotFound(f"no route {request.method} {request.url.path}")
    elif exc.status_code == 405:
        err = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    else:
        err = ApiError(str(exc.detail))
        err.status_code = exc.status_code
        err.code = "http_error"
    response = error_response(err, request)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A 5xx is a bug: log it with the traceback, tell the client only the request id."""
    log.exception("unhandled error", extra={"path": request.url.path})
    rid = request.scope.get("state", {}).get("request_id", "-")
    body = {
        "error": {
            "code": "internal_error",
            "field": None,
            "message": f"internal error; quote request id {rid} when reporting it",
        }
    }
    return JSONResponse(body, status_code=500)


def register_error_handlers(app: FastAPI) -> None:
    """Install the handlers above."""
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
