"""The post-deploy smoke test: the public endpoint, end to end, as a client sees it.

`make smoke URL=https://api.example.com` (scripts/smoke.py) after every deploy, and in `make test`
against the local stack (tests/e2e/test_smoke_e2e.py). Checks, in order: TLS (verified chain,
protocol, days to expiry), /readyz, the security headers nginx promises, a request without the
API key refused with the JSON 401, /docs in the expected state, and the Postman collection run by
newman with the key. Standard library only (plus npx newman): it runs wherever deploy.sh runs.
Each failure says what failed; the report ends with how to roll back.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from service.paths import REPO_ROOT

REPO: Final = REPO_ROOT
COLLECTION: Final = REPO / "docs" / "postman_collection.json"
# What nginx/nginx.conf.template adds to every HTTPS answer (name -> required value or None).
SECURITY_HEADERS: Final = {
    "strict-transport-security": None,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": None,
    "referrer-policy": None,
}
CERT_WARN_DAYS: Final = 14
DEFAULT_ROLLBACK: Final = (
    "to roll back, deploy the previous image tag again: scripts/deploy.sh --image-tag <previous> "
    "with the same flags (docs/DEPLOY.md, Rolling back)"
)


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: str  # "ok", "FAIL", "skip"
    detail: str


@dataclass(frozen=True)
class Target:
    """Where and how to test."""

    url: str
    api_key: str = ""
    cacert: Path | None = None
    expect_api_keys: bool = True
    expect_docs: bool | None = None  # None: either is fine
    timeout: float = 20.0

    def context(self) -> ssl.SSLContext:
        """Verification always on; a CA file only adds trust (the local stack's own certificate)."""
        return ssl.create_default_context(cafile=str(self.cacert) if self.cacert else None)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, lower-case headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def error_code(self) -> str | None:
        """`error.code` of our JSON error body, if it is one."""
        try:
            return str(json.loads(self.body)["error"]["code"])
        except (ValueError, KeyError, TypeError):
            return None


def fetch(target: Target, path: str, *, method: str = "GET", data: bytes | None = None) -> Answer:
    """One request; an HTTP error status is an answer, not an exception."""
    request = urllib.request.Request(target.url.rstrip("/") + path, method=method, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(
            request, timeout=target.timeout, context=target.context()
        ) as response:
            return Answer(response.status, _headers(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, _headers(error.headers.items()), error.read())


def _headers(items: object) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}  # type: ignore[attr-defined]


def check_tls(target: Target) -> Check:
    """A verified TLS connection: chain and host name valid, TLS 1.2+, certificate not expiring."""
    parts = urlsplit(target.url)
    if parts.scheme != "https":
        return Check("tls", "FAIL", f"{target.url} is not HTTPS (insecureHttp deployment?)")
    host, port = parts.hostname or "", parts.port or 443
    try:
        with (
            socket.create_connection((host, port), timeout=target.timeout) as raw,
            target.context().wrap_socket(raw, server_hostname=host) as tls,
        ):
            version, cert = tls.version(), tls.getpeercert()
    except (OSError, ssl.SSLError) as exc:
        return Check("tls", "FAIL", f"no verified TLS connection to {host}:{port}: {exc}")
    if not cert:
        return Check("tls", "FAIL", "the server presented no certificate")
    expires = ssl.cert_time_to_seconds(str(cert["notAfter"]))
    days = int((expires - time.time()) // 86400)
    if version not in ("TLSv1.2", "TLSv1.3"):
        return Check("tls", "FAIL", f"negotiated {version}")
    if days < CERT_WARN_DAYS:
        return Check("tls", "FAIL", f"{version}, certificate expires in {days} days")
    return Check("tls", "ok", f"{version}, certificate valid for {days} more days")


def check_ready(target: Target) -> tuple[Check, Answer | None]:
    """/readyz is 200 (the model is loaded and warm)."""
    try:
        answer = fetch(target, "/readyz")
    except (OSError, ssl.SSLError) as exc:
        return Check("readyz", "FAIL", f"no answer: {exc}"), None
    if answer.status != 200:
        return Check("readyz", "FAIL", f"status {answer.status}: {answer.body[:200]!r}"), answer
    return Check("readyz", "ok", "200, model ready"), answer


def check_headers(answer: Answer | None, https: bool) -> Check:
    """The security headers on a real answer."""
    if answer is None:
        return Check("security headers", "FAIL", "no answer to inspect")
    missing = []
    for name, value in SECURITY_HEADERS.items():
        if name == "strict-transport-security" and not https:
            continue
        got = answer.headers.get(name)
        if got is None or (value is not None and got != value):
            missing.append(f"{name}={got!r}")
    if missing:
        return Check("security headers", "FAIL", "missing or wrong: " + ", ".join(missing))
    return Check("security headers", "ok", ", ".join(SECURITY_HEADERS))


def check_refusal(target: Target) -> Check:
    """Without X-API-Key the API answers our JSON 401 (or, keys off, does not ask for one)."""
    answer = fetch(target, "/v1/model")
    if target.expect_api_keys:
        if answer.status == 401 and answer.error_code() == "unauthorized":
            return Check("refused without key", "ok", "401 unauthorized, JSON error body")
        return Check(
            "refused without key", "FAIL", f"expected 401 without X-API-Key, got {answer.status}"
        )
    if answer.status == 200:
        return Check("refused without key", "skip", "API keys are off for this deployment")
    return Check("refused without key", "FAIL", f"keys off, yet /v1/model is {answer.status}")


def check_docs(target: Target) -> Check:
    """/docs and /openapi.json are served exactly when the deployment says so."""
    statuses = {path: fetch(target, path).status for path in ("/docs", "/openapi.json")}
    served = all(status == 200 for status in statuses.values())
    hidden = all(status == 404 for status in statuses.values())
    if target.expect_docs is None:
        return Check("docs", "ok" if served or hidden else "FAIL", f"{statuses}")
    if (target.expect_docs and served) or (not target.expect_docs and hidden):
        return Check("docs", "ok", ("served " if served else "hidden ") + str(statuses))
    wanted = "served" if target.expect_docs else "hidden (404)"
    return Check("docs", "FAIL", f"expected {wanted}, got {statuses}")


def check_collection(target: Target) -> Check:
    """docs/postman_collection.json, every request and test, under newman with the key."""
    if target.expect_api_keys and not target.api_key:
        return Check("postman collection", "skip", "no API key given (FACESIM_API_KEY)")
    npx = shutil.which("npx")
    if npx is None:
        return Check("postman collection", "FAIL", "npx (Node.js) not found: make node-deps")
    command = [
        npx, "--no-install", "newman", "run", str(COLLECTION),
        "--env-var", f"baseUrl={target.url.rstrip('/')}",
        "--env-var", f"apiKey={target.api_key}",
        "--working-dir", str(REPO), "--reporters", "cli", "--color", "off",
    ]  # fmt: skip
    if target.cacert is not None:
        command += ["--ssl-extra-ca-certs", str(target.cacert)]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        failures = [line for line in result.stdout.splitlines() if "AssertionError" in line]
        detail = "; ".join(failures[:3]) or result.stdout[-400:] + result.stderr[-200:]
        return Check("postman collection", "FAIL", detail.strip())
    return Check("postman collection", "ok", "every request and test passed (newman)")


def run(target: Target) -> list[Check]:
    """Every check; stops early only when the endpoint does not answer at all."""
    https = urlsplit(target.url).scheme == "https"
    checks = [check_tls(target)] if https else []
    ready, answer = check_ready(target)
    checks += [ready, check_headers(answer, https)]
    if answer is None:
        return checks
    checks += [check_refusal(target), check_docs(target), check_collection(target)]
    return checks


def report(checks: list[Check], rollback: str = DEFAULT_ROLLBACK) -> tuple[str, bool]:
    """The printed report and whether everything passed."""
    lines = [f"  {c.status:<4} {c.name}: {c.detail}" for c in checks]
    passed = all(c.status != "FAIL" for c in checks)
    if passed:
        lines.append("smoke test passed")
    else:
        failed = ", ".join(c.name for c in checks if c.status == "FAIL")
        lines += [f"SMOKE TEST FAILED: {failed}", rollback]
    return "\n".join(lines), passed
