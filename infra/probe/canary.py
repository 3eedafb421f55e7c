"""The outside-in canary: AWS calls the public name every few minutes, as a client would.

Runs in CloudWatch Synthetics (inline code, so one self-contained file: standard library and
boto3 only). Two requests: /readyz, then GET /v1/model with the API key read at run time from the
stack's secret (never from code). Any failure raises, which Synthetics records as a failed run;
the stack alarms on failed runs and on runs that stop coming.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_S = 20.0


def api_key() -> str:
    """The first key of API_KEYS in the stack's secret; empty when the deployment has no keys."""
    secret_arn = os.environ.get("API_KEY_SECRET_ARN", "")
    if not secret_arn:
        return ""
    import boto3

    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    return str(value).split(",")[0].strip()


def get(url: str, key: str = "") -> tuple[int, bytes]:
    """Status and body of one GET; an HTTP error status is an answer."""
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def probe(base_url: str, key: str) -> str:
    """Both requests; raises AssertionError naming what failed, else says what is served."""
    status, body = get(base_url.rstrip("/") + "/readyz")
    assert status == 200, f"/readyz answered {status}: {body[:200]!r}"
    status, body = get(base_url.rstrip("/") + "/v1/model", key)
    assert status == 200, f"/v1/model with the key answered {status}: {body[:200]!r}"
    model = json.loads(body)
    return f"{model.get('name')} {model.get('version')}"


def handler(event: Any, context: Any) -> str:
    """Synthetics entry point (index.handler)."""
    served = probe(os.environ["ENDPOINT_URL"], api_key())
    print(f"canary ok: {served}")
    return served
