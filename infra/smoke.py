"""The post-deploy smoke test: the public endpoint, end to end, as a client sees it.

`make smoke URL=https://api.example.com` (scripts/smoke.py) after every deploy, and in `make test`
against the local stack (tests/e2e/test_smoke_e2e.py). Checks, in order: TLS (verified chain,
protocol, days to expiry), /readyz, the security headers nginx promises, a request without the
API key refused with the JSON 401, /docs in the expected state, the model served (name and
version when expected), one authenticated request per route with the kind's own examples
(infra/probe/examples.py), and the Postman collection run by newman with the key. Standard
library only (plus npx newman): it runs wherever deploy.sh runs. Each failure says what failed;
the report ends with how to roll back.

`connect_host` (deploy.sh passes the load balancer's DNS name) checks a deployment whose DNS does
not point at it yet: TCP goes there, TLS verifies the public name. newman cannot route that way,
so then the kind's examples stand in for the collection.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from infra.probe.client import Answer, Endpoint
from infra.probe.client import fetch as probe_fetch
from infra.probe.examples import examples_for
from infra.probe.release import Check, Expected, served_model
from infra.probe.release import check_examples as probe_examples
from infra.probe.release import check_model as probe_model
from infra.probe.release import check_ready as probe_ready
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
class Target:
    """Where and how to test."""

    url: str
    api_key: str = ""
    cacert: Path | None = None
    expect_api_keys: bool = True
    expect_docs: bool | None = None  # None: either is fine
    timeout: float = 20.0
    connect_host: str | None = None  # the load balancer's DNS name, before DNS points there
    expected: Expected = field(default_factory=Expected)

    @property
    def endpoint(self) -> Endpoint:
        """The probe's view of the target."""
        return Endpoint(
            url=self.url, connect_host=self.connect_host, cacert=self.cacert, timeout=self.timeout
        )

    def context(self) -> ssl.SSLContext:
        """Verification always on; a CA file only adds trust (the local stack's own certificate)."""
        return self.endpoint.tls_context()


def fetch(target: Target, path: str, *, method: str = "GET", data: bytes | None = None) -> Answer:
    """One request; an HTTP error status is an answer, not an exception."""
    return probe_fetch(target.endpoint, path, method=method, body=data)


def check_tls(target: Target) -> Check:
    """A verified TLS connection: chain and host name valid, TLS 1.2+, certificate not expiring."""
    parts = urlsplit(target.url)
    if parts.scheme != "https":
        return Check("tls", "FAIL", f"{target.url} is not HTTPS (insecureHttp deployment?)")
    host, port = parts.hostname or "", parts.port or 443
    try:
        with (
            socket.create_connection(
                (target.connect_host or host, port), timeout=target.timeout
            ) as raw,
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
    return probe_ready(target.endpoint)


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


def check_model(target: Target) -> Check:
    """/v1/model with the key: the name and version this deployment must serve."""
    if target.expect_api_keys and not target.api_key:
        return Check("model", "skip", "no API key given (FACESIM_API_KEY)")
    return probe_model(target.endpoint, target.api_key, target.expected)


def check_examples(target: Target) -> Check:
    """One authenticated request per route with the kind's own examples."""
    if target.expect_api_keys and not target.api_key:
        return Check("kind examples", "skip", "no API key given (FACESIM_API_KEY)")
    kind, name = target.expected.kind, target.expected.name
    if kind is None:
        return Check("kind examples", "FAIL", "/v1/model did not say which kind is served")
    try:
        folder = REPO / examples_for(kind, name).source
    except ValueError as exc:
        return Check("kind examples", "FAIL", str(exc))
    return probe_examples(target.endpoint, target.api_key, kind, folder, name)


def check_collection(target: Target) -> Check:
    """docs/postman_collection.json, every request and test, under newman with the key."""
    if target.expect_api_keys and not target.api_key:
        return Check("postman collection", "skip", "no API key given (FACESIM_API_KEY)")
    if target.connect_host is not None:
        return Check(
            "postman collection",
            "skip",
            f"newman cannot connect through {target.connect_host}; the kind examples covered "
            "each route",
        )
    if target.expected.kind is None:
        return Check("postman collection", "FAIL", "/v1/model did not say which model is served")
    folder = collection_folder(target.expected.kind, target.expected.name)
    if folder is None:
        return Check("postman collection", "skip", "the collection has no folder for this model")
    npx = shutil.which("npx")
    if npx is None:
        return Check("postman collection", "FAIL", "npx (Node.js) not found: make node-deps")
    command = [
        npx, "--no-install", "newman", "run", str(COLLECTION), "--folder", folder,
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
    return Check("postman collection", "ok", f"{folder}: every request and test passed (newman)")


def collection_folder(kind: str | None, name: str | None) -> str | None:
    """The collection's folder for this model: "<kind> (<model name>)"; any face model's is the face one."""
    folders = [item["name"] for item in json.loads(COLLECTION.read_text())["item"]]
    for folder in folders:
        folder_kind, _, rest = folder.partition(" (")
        if folder_kind == kind and (kind == "face-similarity" or rest.rstrip(")") == name):
            return str(folder)
    return None


def run(target: Target) -> list[Check]:
    """Every check; stops early only when the endpoint does not answer at all."""
    https = urlsplit(target.url).scheme == "https"
    checks = [check_tls(target)] if https else []
    ready, answer = check_ready(target)
    checks += [ready, check_headers(answer, https)]
    if answer is None:
        return checks
    if target.expected.kind is None or target.expected.name is None:
        # A classifier's examples and collection folder fit one model: learn which it serves.
        kind, name = served_model(target.endpoint, target.api_key)
        expected = target.expected
        target = replace(
            target,
            expected=replace(expected, kind=expected.kind or kind, name=expected.name or name),
        )
    checks += [
        check_refusal(target),
        check_docs(target),
        check_model(target),
        check_examples(target),
        check_collection(target),
    ]
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
