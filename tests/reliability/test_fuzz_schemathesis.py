"""Schemathesis against the real server's /openapi.json: no 5xx, and every answer (status, content
type, headers, body) is one the schema documents. Examples per operation are bounded."""

from __future__ import annotations

from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from service.config import Settings
from service.main import create_app
from tests.reliability.conftest import API_KEY, Service

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_EXAMPLES = 100
IMAGE_ROUTES = ("/predict", "/verify")
# What a schema cannot say about `format: binary` (or a base64 string): that the bytes decode
# and show a face. Schema-valid requests may be refused for that, and only for that.
IMAGE_CONTENT_CODES = {"invalid_image", "too_large", "unsupported_media_type", "no_face"}


def operations() -> list[tuple[str, str, GenerationMode]]:
    """Every (path, method) the app documents, read from the app itself so new routes get fuzzed;
    negative mode only where there is an input (query or body) to get wrong."""
    spec = create_app(Settings()).openapi()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            found.append((path, method.upper(), GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                found.append((path, method.upper(), GenerationMode.NEGATIVE))
    return found


def uniform_tuples(node: Any) -> Any:
    """`prefixItems` of identical schemas as the equivalent `items` (a Schemathesis bug:
    schemathesis/schemathesis#3842, #4099 - a 3.1 tuple is rewritten to draft-4 `items: [...]`
    and then rejected as invalid). The shape checked is the same; only the spelling changes."""
    if isinstance(node, list):
        return [uniform_tuples(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: uniform_tuples(value) for key, value in node.items()}
    prefix = out.get("prefixItems")
    if isinstance(prefix, list) and prefix and all(item == prefix[0] for item in prefix):
        del out["prefixItems"]
        out["items"] = prefix[0]
    return out


@pytest.fixture(scope="module")
def api_schema(shared_service: Service) -> OpenApiSchema:
    spec = httpx.get(f"{shared_service.base}/openapi.json", timeout=30).raise_for_status().json()
    schema = schemathesis.openapi.from_dict(uniform_tuples(spec))
    schema.config.update(base_url=shared_service.base)
    return schema


def refuses_only_image_content(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """Stands in for positive_data_acceptance on the image routes (see IMAGE_CONTENT_CODES)."""
    if response.status_code < 400 or response.status_code in (401, 503):
        return None
    error = response.json()["error"]
    assert error["code"] in IMAGE_CONTENT_CODES, f"schema-valid request refused: {error}"
    return None


@pytest.mark.parametrize(("path", "method", "mode"), operations(), ids=str)
def test_api_conforms_to_its_schema(
    api_schema: OpenApiSchema, path: str, method: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    checks: dict[str, Any] = {}
    if path in IMAGE_ROUTES and mode is GenerationMode.POSITIVE:
        checks = {
            "excluded_checks": [positive_data_acceptance],
            "additional_checks": [refuses_only_image_content],
        }

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,  # the machine is shared; latency is the load tests' question
        derandomize=True,  # the same examples on every run, so a failure reproduces
        suppress_health_check=list(hypothesis.HealthCheck),
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"X-API-Key": API_KEY}, timeout=30, **checks)

    check()
