"""Who gets in: CORS closed unless configured, API keys on every model route, docs switchable,
static files confined, containers unprivileged, and no secret in the repository."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.paths import REPO_ROOT as REPO
from tests.conftest import ClientFactory
from tests.reliability.corpus import form, sample_faces
from tests.support import needs

ORIGIN = "https://faces.example.org"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "x-api-key, content-type",
}


@pytest.fixture
def faces() -> dict[str, bytes]:
    return sample_faces()


@pytest.fixture
def open_cors(make_client: ClientFactory, tiny_model: Path) -> Iterator[TestClient]:
    with make_client(model_uri=str(tiny_model), cors_origins=f"{ORIGIN}, https://b.example") as c:
        yield c


@pytest.fixture
def keyed(make_client: ClientFactory, tiny_model: Path) -> Iterator[TestClient]:
    with make_client(model_uri=str(tiny_model), api_keys="first-key, second-key") as c:
        yield c


# --- CORS ---------------------------------------------------------------------------------------


def test_cors_preflight_is_refused_by_default(client: TestClient) -> None:
    response = client.options("/predict", headers=PREFLIGHT)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert not any(h.startswith("access-control-") for h in response.headers)


def test_cross_origin_request_gets_no_cors_grant_by_default(
    client: TestClient, faces: dict[str, bytes]
) -> None:
    response = client.post("/predict", files=form(faces), headers={"Origin": ORIGIN})
    assert response.status_code == 200  # the server answers; the browser withholds it from the page
    assert "access-control-allow-origin" not in response.headers


def test_configured_origin_passes_preflight_with_the_api_key_header(open_cors: TestClient) -> None:
    response = open_cors.options("/predict", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "x-api-key" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_other_origins_stay_refused_when_cors_is_configured(
    open_cors: TestClient, faces: dict[str, bytes]
) -> None:
    preflight = open_cors.options(
        "/predict", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    error = preflight.json()["error"]
    assert (error["code"], error["field"]) == ("cors_refused", "Origin")
    assert "https://evil.example" in error["message"]
    response = open_cors.post(
        "/predict", files=form(faces), headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in response.headers
    allowed = open_cors.post("/predict", files=form(faces), headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN


def test_cors_allows_only_the_methods_the_api_uses(open_cors: TestClient) -> None:
    response = open_cors.options(
        "/predict", headers={**PREFLIGHT, "Access-Control-Request-Method": "DELETE"}
    )
    assert response.status_code == 400
    assert "DELETE" not in response.headers.get("access-control-allow-methods", "")
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("cors_refused", "Access-Control-Request-Method")
    assert "'DELETE'" in error["message"]


def test_cors_refuses_headers_it_does_not_allow_and_says_so(open_cors: TestClient) -> None:
    response = open_cors.options(
        "/predict", headers={**PREFLIGHT, "Access-Control-Request-Headers": "x-secret"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("cors_refused", "Access-Control-Request-Headers")
    assert "x-api-key" in error["message"]


# --- API keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/predict", "/verify"])
def test_image_routes_want_a_key_before_reading_the_body(keyed: TestClient, path: str) -> None:
    """No key: 401 at once, the body (here not even an image) is never looked at."""
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}, {"X-API-Key": "first"}):
        response = keyed.post(
            path,
            content=b"%PDF-1.7 not an image",
            headers={**headers, "Content-Type": "text/plain"},
        )
        assert response.status_code == 401, headers
        assert response.json()["error"] == {
            "code": "unauthorized",
            "field": "X-API-Key",
            "message": response.json()["error"]["message"],
        }


def test_every_configured_key_works_on_the_model_routes(
    keyed: TestClient, faces: dict[str, bytes]
) -> None:
    for key in ("first-key", "second-key"):
        headers = {"X-API-Key": key}
        assert keyed.get("/v1/model", headers=headers).status_code == 200
        assert keyed.post("/predict", files=form(faces), headers=headers).status_code == 200
        verify = form(faces, fields=("img1", "img2"))
        assert keyed.post("/verify", files=verify, headers=headers).status_code == 200


def test_model_info_wants_the_key(keyed: TestClient) -> None:
    assert keyed.get("/v1/model").status_code == 401
    assert keyed.get("/v1/model", headers={"X-API-Key": "second"}).status_code == 401


def test_probes_stay_open_for_load_balancers_when_keys_are_set(keyed: TestClient) -> None:
    assert [keyed.get(p).status_code for p in ("/healthz", "/readyz", "/metrics")] == [200] * 3


def test_openapi_declares_the_key_header_when_keys_are_set(keyed: TestClient) -> None:
    spec = keyed.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["APIKeyHeader"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": scheme["description"],
    }
    for path, method in (("/predict", "post"), ("/verify", "post"), ("/v1/model", "get")):
        assert spec["paths"][path][method]["security"] == [{"APIKeyHeader": []}]


# --- documentation and static files ---------------------------------------------------------------


def test_docs_switch_turns_off_every_documentation_route(
    make_client: ClientFactory, tiny_model: Path
) -> None:
    with make_client(model_uri=str(tiny_model), docs_enabled=False) as c:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            response = c.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../config.py",
        "/static/..%2f..%2fservice%2fconfig.py",
        "/static/%2e%2e/%2e%2e/service/config.py",
        "/static//etc/passwd",
        "/static/..\\..\\service\\config.py",
    ],
)
def test_static_files_stay_inside_their_directory(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "Settings" not in response.text and "root:" not in response.text


# --- containers -----------------------------------------------------------------------------------


def final_user(dockerfile: Path) -> str | None:
    """The USER in effect in the last stage of a Dockerfile (None when it never sets one)."""
    user = None
    for line in dockerfile.read_text().splitlines():
        words = line.strip().split()
        if words and words[0].upper() == "FROM":
            user = None
        elif len(words) >= 2 and words[0].upper() == "USER":
            user = words[1]
    return user


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "nginx/Dockerfile"])
def test_containers_run_unprivileged(dockerfile: str) -> None:
    path = needs.repo_file(dockerfile)
    user = final_user(path)
    assert user is not None, f"{dockerfile} never sets USER, so it runs as root"
    assert user.split(":")[0] not in ("root", "0"), f"{dockerfile} runs as {user}"


# --- secrets --------------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "AWS access key id": re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        rb"(?i)aws_?secret_?access_?key\W{0,4}[A-Za-z0-9/+=]{40}\b"
    ),
    "private key": re.compile(rb"-{5}BEGIN (?:[A-Z]+ )?PRIVATE KEY-{5}"),
    "GitHub token": re.compile(rb"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(rb"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
}


def repository_files() -> list[Path]:
    """Tracked files and new files that git would add (ignored ones, like .cache/, excluded)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    return [REPO / name for name in listed.decode().split("\0") if name]


def test_no_secrets_in_the_repository() -> None:
    files = [p for p in repository_files() if p.is_file()]
    assert len(files) > 50, "git listed too few files; the scan would prove nothing"
    found = [
        f"{path.relative_to(REPO)}: {kind}"
        for path in files
        for kind, pattern in SECRET_PATTERNS.items()
        if pattern.search(path.read_bytes())
    ]
    assert not found, "secrets in the repository:\n" + "\n".join(found)


def test_secret_scan_finds_what_it_looks_for() -> None:
    """The patterns are live: each catches a made-up example of its kind."""
    examples = {
        "AWS access key id": b"key = AKIA" + b"ABCDEFGHIJKLMNOP",
        "AWS secret access key": b"aws_secret_access_key = " + b"a" * 40,
        "private key": b"-----BEGIN " + b"EC PRIVATE KEY-----",
        "GitHub token": b"ghp_" + b"a" * 36,
        "Slack token": b"xoxb-" + b"1234567890-abc",
    }
    for kind, example in examples.items():
        assert SECRET_PATTERNS[kind].search(example), kind


@pytest.mark.parametrize(
    "generated",
    [
        ".cache/stack/nginx/tls/key.pem",  # devstack's certificate key (make stack)
        ".cache/stack/state.json",
        ".cache/models/facesim-models/m.h5",  # S3 downloads (MODEL_CACHE_DIR)
    ],
)
def test_generated_keys_and_downloads_are_git_ignored(generated: str) -> None:
    result = subprocess.run(["git", "check-ignore", "-q", generated], cwd=REPO, check=False)
    assert result.returncode == 0, f"{generated} would be committable"
