"""The pre-traffic hook of a blue/green deployment: ECS calls it once test traffic reaches green.

ECS invokes this Lambda at POST_TEST_TRAFFIC_SHIFT; the listener's test rule (a request carrying
the test header) then reaches only the new tasks. The hook runs the release checks through the
load balancer with that header and answers SUCCEEDED (ECS goes on to shift production traffic)
or FAILED (ECS rolls back; production never saw the release). Its settings come from the
environment the stack sets; the API key from the stack's secret, read at run time.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from .client import Endpoint
from .release import Check, Expected, passed, release_checks

log = logging.getLogger()
log.setLevel(logging.INFO)
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
ATTEMPTS = 3  # a task just registered may miss one request; a broken release fails all three
PAUSE_S = 10.0


def api_key_from_secret(secret_arn: str) -> str:
    """The first key of API_KEYS (comma-separated) in the stack's secret."""
    import boto3  # in the Lambda runtime; imported here so the checks run without it

    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    return str(value).split(",")[0].strip()


def settings(environ: dict[str, str]) -> tuple[Endpoint, Expected]:
    """The endpoint (through the load balancer, with the test header) and what it must serve."""
    endpoint = Endpoint(
        url=environ["ENDPOINT_URL"],
        connect_host=environ.get("CONNECT_HOST") or None,
        timeout=float(environ.get("REQUEST_TIMEOUT_S", "25")),
        headers={environ["TEST_HEADER_NAME"]: environ["TEST_HEADER_VALUE"]},
    )
    expected = Expected(
        kind=environ.get("MODEL_KIND", "face-similarity"),
        name=environ.get("MODEL_NAME") or None,
        version=environ.get("MODEL_VERSION") or None,
    )
    return endpoint, expected


def run_checks(environ: dict[str, str], api_key: str, folder: Path) -> list[Check]:
    """The release checks, tried up to ATTEMPTS times."""
    endpoint, expected = settings(environ)
    checks: list[Check] = []
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(PAUSE_S)
        checks = release_checks(endpoint, api_key, expected, folder)
        if passed(checks):
            break
    return checks


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """ECS lifecycle hook entry point: {"hookStatus": "SUCCEEDED" | "FAILED"}."""
    environ = dict(os.environ)
    secret = environ.get("API_KEY_SECRET_ARN", "")
    api_key = api_key_from_secret(secret) if secret else ""
    checks = run_checks(
        environ, api_key, EXAMPLES_DIR / environ.get("MODEL_KIND", "face-similarity")
    )
    status = "SUCCEEDED" if passed(checks) else "FAILED"
    # The report goes to the function's log group; it holds no key and no upload.
    log.info(json.dumps({
        "hookStatus": status,
        "lifecycleStage": event.get("lifecycleStage"),
        "checks": [check.__dict__ for check in checks],
    }))  # fmt: skip
    return {"hookStatus": status}
