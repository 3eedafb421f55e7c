"""Structured JSON logs with the request id; never a byte of an uploaded image."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Attributes every LogRecord has; anything else passed through `extra=` is emitted as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON; a record carrying `emf` is that EMF document, verbatim."""
        emf = getattr(record, "emf", None)
        if isinstance(emf, dict):
            return json.dumps(emf, ensure_ascii=False)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key != "color_message":
                entry[key] = (
                    value if isinstance(value, str | int | float | bool | None) else str(value)
                )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    """Route our logs and uvicorn's through the JSON formatter on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our middleware writes the access log (with request id and route); uvicorn's would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
    # PIL logs the chunks of every decoded PNG (their type bytes) at debug: never per upload.
    for noisy in (
        "botocore",
        "boto3",
        "s3transfer",
        "urllib3",
        "absl",
        "tensorflow",
        "h5py",
        "PIL",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
