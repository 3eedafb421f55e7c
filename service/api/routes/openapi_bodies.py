"""Request-body schemas and examples for the image routes (their bodies are parsed by hand)."""

from __future__ import annotations

from typing import Any

from service.schemas import ErrorResponse

EXAMPLE_DATA_URL = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD..."


def image_body(fields: tuple[str, ...], purpose: dict[str, str]) -> dict[str, Any]:
    """openapi_extra for a route taking `fields` as multipart files or JSON base64 strings."""
    binary = {
        name: {"type": "string", "format": "binary", "description": purpose[name]}
        for name in fields
    }
    text = {
        name: {
            "type": "string",
            "description": f"{purpose[name]}: base64 or a data:image/...;base64 URL",
        }
        for name in fields
    }
    return {
        "requestBody": {
            "required": True,
            "description": "JPEG, PNG, WebP, BMP, TIFF or GIF (first frame), recognised by content.",
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": list(fields),
                        "properties": binary,
                        "additionalProperties": False,
                    },
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": list(fields),
                        "properties": text,
                        "additionalProperties": False,
                    },
                    "examples": {
                        "data-urls": {
                            "summary": "data: URLs (what a browser's FileReader gives)",
                            "value": {name: EXAMPLE_DATA_URL for name in fields},
                        },
                        "plain-base64": {
                            "summary": "plain base64",
                            "value": {name: "/9j/4AAQSkZJRgABAQAAAQABAAD..." for name in fields},
                        },
                    },
                },
            },
        }
    }


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Document the error statuses a route can return, all with the error body."""
    meaning = {
        400: "invalid_image: bytes that do not decode",
        401: "unauthorized: X-API-Key missing or wrong (only when API_KEYS is set)",
        413: "too_large: an image or the body is over its limit",
        415: "unsupported_media_type: not an accepted image type or content type",
        422: "invalid_request (a missing, repeated or unknown field, a bad row), or the model kind's "
        "own refusal of a valid input (no_face, face_too_small, blank_image)",
        503: "not_ready or overloaded; see Retry-After",
    }
    return {s: {"model": ErrorResponse, "description": meaning[s]} for s in statuses}
