"""CORS with the API's error shape: a refused preflight says in JSON which header was wrong."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from service.errors import CorsRefused

# Starlette's failure words -> the request header each one is about.
FAILURE_HEADERS = {
    "origin": "Origin",
    "method": "Access-Control-Request-Method",
    "headers": "Access-Control-Request-Headers",
    "private-network": "Access-Control-Request-Private-Network",
}


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORSMiddleware, but a refused preflight is a JSON 400 like every other error."""

    def preflight_response(self, request_headers: Headers) -> Response:
        """Keep Starlette's decision and headers; replace only the plain-text refusal body."""
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        failures = bytes(response.body).decode().removeprefix("Disallowed CORS ").split(", ")
        fields = [FAILURE_HEADERS.get(f, f) for f in failures]
        details = {
            "Origin": f"origin {request_headers.get('origin')!r} is not in CORS_ORIGINS",
            "Access-Control-Request-Method": "method "
            f"{request_headers.get('access-control-request-method')!r} is not allowed (GET, POST)",
            "Access-Control-Request-Headers": "a requested header is not allowed "
            f"(allowed: {', '.join(sorted(self.allow_headers))})",
        }
        message = "CORS preflight refused: " + "; ".join(details.get(f, f) for f in fields)
        error = CorsRefused(message, field=fields[0])
        keep = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-type", "content-length")
        }
        return JSONResponse(error.body(), status_code=error.status_code, headers=keep)
