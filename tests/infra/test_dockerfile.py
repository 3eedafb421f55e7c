"""The two images, checked without a Docker engine: structure, and the one server command.

hadolint lints every Dockerfile compose.yaml builds: tests/rehearse/test_compose_file.py.
"""

from __future__ import annotations

import re
import shlex

from packaging.markers import default_environment
from packaging.requirements import Requirement

from infra.contract import LIVENESS_PATH, NGINX_HTTP_PORT, NGINX_HTTPS_PORT
from tests.infra.conftest import REPO
from tests.infra.dockerfile import read_stages

APP_DOCKERFILE = REPO / "Dockerfile"
NGINX_DOCKERFILE = REPO / "nginx" / "Dockerfile"
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|clang|make|build-essential|python3?-dev|cmake|cargo)\b")


def makefile_serve_command() -> list[str]:
    """`make run`'s command, with the venv path the image does not have written as plain python."""
    makefile = (REPO / "Makefile").read_text()
    (serve,) = re.findall(r"^SERVE\s*:=\s*(.+)$", makefile, re.MULTILINE)
    run_recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert run_recipe and "$(SERVE)" in run_recipe.group(1), "make run must use $(SERVE)"
    return [word.replace("$(BIN)/python", "python") for word in shlex.split(serve)]


def test_image_command_is_the_one_make_run_uses() -> None:
    final = read_stages(APP_DOCKERFILE)[-1]
    command = final.exec_form("CMD")
    assert command == makefile_serve_command() == ["python", "-m", "service"]
    assert not final.args("ENTRYPOINT")
    procfile = (REPO / "Procfile").read_text().strip()
    assert shlex.split(procfile.removeprefix("web:")) == command


def test_app_image_is_multi_stage_on_slim_python() -> None:
    stages = read_stages(APP_DOCKERFILE)
    assert len(stages) >= 2
    for stage in stages:
        assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim(-[a-z]+)?", stage.base), stage.base
    final = stages[-1]
    copies_from = [a for a in final.args("COPY") if a.startswith("--from=")]
    assert copies_from == ["--from=build /opt/venv /opt/venv"]


def test_final_stage_has_no_build_tools_and_installs_nothing() -> None:
    final = read_stages(APP_DOCKERFILE)[-1]
    for run in final.args("RUN"):
        assert not BUILD_TOOLS.search(run), run
        assert "pip install" not in run and "apt-get install" not in run, run


def test_tensorflow_cpu_is_what_the_build_stage_installs() -> None:
    build = read_stages(APP_DOCKERFILE)[0]
    assert any("-r /tmp/requirements.txt" in run for run in build.args("RUN"))
    # The image is linux/amd64: of the platform-marked TensorFlow lines, only tensorflow-cpu applies.
    image = {**default_environment(), "sys_platform": "linux", "platform_machine": "x86_64"}
    lines = (REPO / "requirements.txt").read_text().splitlines()
    applying = [
        req.name
        for req in (Requirement(line) for line in lines if line and not line.startswith("#"))
        if req.name.startswith("tensorflow") and (req.marker is None or req.marker.evaluate(image))
    ]
    assert applying == ["tensorflow-cpu"]


def test_app_image_runs_as_a_non_root_user() -> None:
    final = read_stages(APP_DOCKERFILE)[-1]
    (*_, user) = final.args("USER")
    name = user.split(":")[0]
    assert name not in ("0", "root")
    # USER comes after every RUN that needs root (the chown of the cache directory).
    keywords = [kw for kw, _ in final.instructions]
    assert max(i for i, kw in enumerate(keywords) if kw == "RUN") < keywords.index("USER")


def test_app_image_health_check_is_liveness() -> None:
    final = read_stages(APP_DOCKERFILE)[-1]
    (check,) = final.args("HEALTHCHECK")
    assert LIVENESS_PATH in check and "/readyz" not in check
    assert "CMD [" in check  # exec form: no shell needed in the image


def test_app_image_defaults_to_all_interfaces_on_the_app_port() -> None:
    env = read_stages(APP_DOCKERFILE)[-1].env()
    assert env["HOST"] == "0.0.0.0"  # the task definition narrows it to 127.0.0.1
    assert env["PORT"] == "8000"
    assert env["PATH"].startswith("/opt/venv/bin:")


def test_dockerignore_is_an_allowlist_without_secrets_or_venv() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {
        "requirements.txt",
        "service/",
        "models/*.h5",
        "models/*.json",
        "models/dlib/*.dat",
    }
    # Every file the Dockerfile copies from the context is inside the allowlist.
    allowed_roots = {entry.split("/")[0] for entry in allowed}
    for stage in read_stages(APP_DOCKERFILE):
        for copy in stage.args("COPY"):
            if not copy.startswith("--from="):
                source = copy.split()[0]
                assert source.split("/")[0] in allowed_roots, source


def test_nginx_image_stops_gracefully_and_exposes_the_task_ports() -> None:
    (stage,) = read_stages(NGINX_DOCKERFILE)
    assert stage.args("STOPSIGNAL") == ["SIGQUIT"]
    exposed = {int(p.split("/")[0]) for args in stage.args("EXPOSE") for p in args.split()}
    assert {NGINX_HTTPS_PORT, NGINX_HTTP_PORT} <= exposed
    (*_, user) = stage.args("USER")
    assert user.split(":")[0] not in ("0", "root")
    assert any("/etc/nginx/templates/" in copy for copy in stage.args("COPY"))
    (entrypoint,) = stage.exec_form("ENTRYPOINT")
    assert any(copy.split()[-1] == entrypoint for copy in stage.args("COPY")), entrypoint
