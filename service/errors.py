"""Domain errors: each knows its HTTP status, its code and the request field it is about."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Base of every error a client can cause or see; rendered as {"error": {code, field, message}}."""

    status_code: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        """The JSON body every error response carries."""
        return {"error": {"code": self.code, "field": self.field, "message": self.message}}

    def headers(self) -> dict[str, str] | None:
        """Extra response headers (Retry-After for 503s)."""
        return None


class InvalidImage(ApiError):
    """The bytes are not an image we can decode."""

    status_code = 400
    code = "invalid_image"


class UnsupportedMediaType(ApiError):
    """A format or content type we do not accept."""

    status_code = 415
    code = "unsupported_media_type"


class PayloadTooLarge(ApiError):
    """Upload bytes or pixel count over the configured limit."""

    status_code = 413
    code = "too_large"


class InvalidRequest(ApiError):
    """A missing, duplicated or malformed field."""

    status_code = 422
    code = "invalid_request"


class Unauthorized(ApiError):
    """Missing or wrong API key."""

    status_code = 401
    code = "unauthorized"


class CorsRefused(ApiError):
    """A cross-origin preflight from an origin, method or header the service does not allow."""

    status_code = 400
    code = "cors_refused"


class NotFound(ApiError):
    """No such route."""

    status_code = 404
    code = "not_found"


class MethodNotAllowed(ApiError):
    """The route exists, the method does not."""

    status_code = 405
    code = "method_not_allowed"


class ModelNotReady(ApiError):
    """Start-up has not finished: the model is not downloaded, verified, loaded and warmed yet."""

    status_code = 503
    code = "not_ready"

    def headers(self) -> dict[str, str] | None:
        """Tell clients and proxies when to try again."""
        return {"Retry-After": "5"}


class Overloaded(ApiError):
    """The service is at capacity; shed load instead of growing latency."""

    status_code = 503
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)

    def headers(self) -> dict[str, str] | None:
        """Tell clients and proxies when to try again: about when the work queued now is done."""
        return {"Retry-After": str(self.retry_after)}


class ModelError(Exception):
    """A model that cannot be fetched, verified or loaded: fatal at start-up, never served."""
