"""The checks a new release must pass before and after it takes traffic.

Readiness, the model it serves (name and version, when one is expected), and one authenticated
request per route with the kind's own examples (examples.py). Used by scripts/smoke.py (through
infra/smoke.py) and by the pre-traffic hook (hook.py).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from .client import API_KEY_HEADER, Answer, Endpoint, fetch
from .examples import examples_for


@dataclass(frozen=True)
class Check:
    """One line of a report."""

    name: str
    status: str  # "ok", "FAIL", "skip"
    detail: str


@dataclass(frozen=True)
class Expected:
    """What the release must serve: the manifest's kind, and its name and version if known."""

    kind: str | None = None  # None: whatever the endpoint says it serves (make smoke)
    name: str | None = None
    version: str | None = None


def check_ready(endpoint: Endpoint) -> tuple[Check, Answer | None]:
    """/readyz is 200 (the model is loaded and warm)."""
    try:
        answer = fetch(endpoint, "/readyz")
    except (OSError, ssl.SSLError) as exc:
        return Check("readyz", "FAIL", f"no answer: {exc}"), None
    if answer.status != 200:
        return Check("readyz", "FAIL", f"status {answer.status}: {answer.body[:200]!r}"), answer
    return Check("readyz", "ok", "200, model ready"), answer


def _key(api_key: str) -> dict[str, str]:
    return {API_KEY_HEADER: api_key} if api_key else {}


def check_model(endpoint: Endpoint, api_key: str, expected: Expected) -> Check:
    """/v1/model answers, with the key, the name and version this release must serve."""
    try:
        answer = fetch(endpoint, "/v1/model", headers=_key(api_key))
    except (OSError, ssl.SSLError) as exc:
        return Check("model", "FAIL", f"no answer: {exc}")
    body = answer.json()
    if answer.status != 200 or not isinstance(body, dict):
        return Check(
            "model", "FAIL", f"/v1/model status {answer.status}, code {answer.error_code()}"
        )
    served = f"{body.get('name')} {body.get('version')}"
    # A service from before model kinds does not say its kind: it serves a face model.
    facts = {**body, "kind": body.get("kind", "face-similarity")}
    due_fields = (("kind", expected.kind), ("name", expected.name), ("version", expected.version))
    for field, due in due_fields:
        if due is not None and facts.get(field) != due:
            return Check("model", "FAIL", f"serves {served}, expected {field} {due}")
    return Check("model", "ok", served)


def served_model(endpoint: Endpoint, api_key: str) -> tuple[str | None, str | None]:
    """The kind and name /v1/model says the endpoint serves (None, None when it does not answer)."""
    try:
        body = fetch(endpoint, "/v1/model", headers=_key(api_key)).json()
    except (OSError, ssl.SSLError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    kind, name = body.get("kind", "face-similarity"), body.get("name")
    return str(kind), (str(name) if name is not None else None)


def check_examples(
    endpoint: Endpoint, api_key: str, kind: str | None, folder: Path, model: str | None = None
) -> Check:
    """One request per route of the kind, with the model's example files; each answer as due."""
    if kind is None or model is None:  # the examples of a classifier fit one model: ask which
        served_kind, served_name = served_model(endpoint, api_key)
        kind, model = kind or served_kind, model or served_name
    if kind is None:
        return Check("kind examples", "FAIL", "/v1/model did not say which kind is served")
    try:
        examples = examples_for(kind, model)
    except ValueError as exc:
        return Check("kind examples", "FAIL", str(exc))
    done = []
    for request in examples.requests:
        try:
            answer = fetch(
                endpoint,
                request.path,
                method="POST",
                body=request.body(folder),
                headers=_key(api_key),
            )
        except (OSError, ssl.SSLError) as exc:
            return Check("kind examples", "FAIL", f"{request.path}: no answer: {exc}")
        if answer.status != 200:
            return Check(
                "kind examples",
                "FAIL",
                f"{request.path}: status {answer.status}, code {answer.error_code()}",
            )
        wrong = request.mismatch(answer.json(), folder)
        if wrong:
            return Check("kind examples", "FAIL", f"{request.path}: {wrong}")
        done.append(request.path)
    return Check("kind examples", "ok", f"{kind}: {', '.join(done)} answered as due")


def release_checks(
    endpoint: Endpoint, api_key: str, expected: Expected, folder: Path
) -> list[Check]:
    """Readiness, then (only if ready) the model and the kind's example requests."""
    ready, answer = check_ready(endpoint)
    if answer is None or answer.status != 200:
        return [ready]
    return [
        ready,
        check_model(endpoint, api_key, expected),
        check_examples(endpoint, api_key, expected.kind, folder, expected.name),
    ]


def passed(checks: list[Check]) -> bool:
    """No check failed."""
    return all(check.status != "FAIL" for check in checks)
