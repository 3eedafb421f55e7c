"""The checks against a running rehearsal; each returns a Verdict (ok + what was seen).

`make rehearse` prints every verdict; tests/rehearse/ asserts each one, so what "passing" means
is written once, here.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from devstack import processes
from rehearse.engine import REPO_ROOT
from rehearse.probes import listeners, process_users
from rehearse.rehearsal import API_KEY_SECRET, Rehearsal
from rehearse.verdict import Verdict

FACES = REPO_ROOT / "tests" / "data" / "faces"
# anchor = a1, img1 the same person, img2 another: the README's example request.
PREDICT_FILES = {"anchor": "a1.jpg", "img1": "a2.jpg", "img2": "b1.jpg"}
# Settings the reference run outside containers must not copy from the task definition.
NOT_COPIED = ("HOST", "PORT")


def predict_files() -> dict[str, bytes]:
    """The three sample images of the comparison the rehearsal sends."""
    return {field: (FACES / name).read_bytes() for field, name in PREDICT_FILES.items()}


def without_request_id(body: Mapping[str, Any]) -> dict[str, Any]:
    """An answer minus the part that differs per request."""
    return {key: value for key, value in body.items() if key != "request_id"}


def containers_match_the_definition(r: Rehearsal) -> Verdict:
    """Every container of the task runs, from its image, with the definition's environment."""
    seen = []
    ok = {spec.name for spec in r.definition.containers} == set(r.prepared.images)
    model = r.definition.model
    for spec in r.definition.containers:
        name = f"{r.task.name}-{spec.name}"
        found = r.task.engine.podman(
            "inspect", "--format", "{{json .Config.Env}} {{.ImageName}}", name
        ).stdout
        env_json, _, image = found.strip().rpartition(" ")
        env = dict(item.split("=", 1) for item in json.loads(env_json))
        # MODEL_URI's bucket is the rehearsal's; every other value is the template's, exactly.
        differs = [k for k, v in spec.environment.items()
                   if env.get(k) != v and not (model and k == model.variable)]  # fmt: skip
        running = r.task.state(spec.name)["Status"] == "running"
        ok &= running and not differs and image == r.prepared.images[spec.name].source.tag
        state = "running" if running else "NOT running"
        extra = f", differing: {differs}" if differs else ""
        seen.append(f"{spec.name}: {state} {image}, {len(spec.environment)} settings{extra}")
    return Verdict("containers as the task definition says", ok, "\n".join(seen))


def target_readiness(r: Rehearsal) -> Verdict:
    """The load balancer's health check through the front container (HTTPS, pinned certificate)."""
    target = r.definition.target
    with r.client() as client:
        response = client.get(target.health_path)
    ok = str(response.status_code) in target.healthy_codes.split(",")
    return Verdict(
        "target health check",
        ok,
        f"{target.protocol} {target.health_path} via {target.container}:{target.port}"
        f" -> {response.status_code} {response.text[:200]}",
    )


def predict_in_pod(r: Rehearsal) -> tuple[int, dict[str, Any]]:
    """/predict through the front container."""
    files = {k: (f"{k}.jpg", v, "image/jpeg") for k, v in predict_files().items()}
    with r.client() as client:
        response = client.post("/predict", files=files)
    return response.status_code, dict(response.json())


def reference_predict(r: Rehearsal, log: Path) -> tuple[int, dict[str, Any]]:
    """/predict from `python -m service` outside containers: same model file, same settings."""
    model = r.definition.model
    assert model is not None
    spec = r.definition.container(model.container)
    env = {
        k: v
        for k, v in spec.environment.items()
        if k not in NOT_COPIED and k != model.variable and not k.startswith("AWS_")
    }
    env.update({name: r.task.secret(name) for name in spec.secrets})
    port = processes.free_port()
    proc, record = processes.spawn(
        "reference-service",
        [sys.executable, "-m", "service"],
        log_path=log,
        env={
            **_clean_env(),
            **env,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "MODEL_URI": str(r.model_path),
        },
        cwd=REPO_ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        processes.wait_until(
            lambda: _status(f"{base}/readyz") == 200,
            timeout=300,
            what="reference service",
            alive=lambda: proc.poll() is None,
            log_path=log,
        )
        files = {k: (f"{k}.jpg", v, "image/jpeg") for k, v in predict_files().items()}
        response = httpx.post(f"{base}/predict", files=files, headers=r.headers(), timeout=60)
        return response.status_code, dict(response.json())
    finally:
        processes.stop(record, timeout=30)


def predict_matches_reference(r: Rehearsal, log: Path) -> Verdict:
    """The containerized task answers /predict exactly as the service does outside containers."""
    status, body = predict_in_pod(r)
    ref_status, ref_body = reference_predict(r, log)
    ok = status == ref_status == 200 and without_request_id(body) == without_request_id(ref_body)
    return Verdict(
        "predict equals the service outside containers",
        ok,
        f"pod {status} {without_request_id(body)}\n"
        f"reference {ref_status} {without_request_id(ref_body)}",
    )


def health_checks(r: Rehearsal) -> Verdict:
    """Each container's task-definition health check has passed, and the image's own HEALTHCHECK."""
    seen = []
    ok = True
    for spec in r.definition.containers:
        if spec.health_check is None:
            seen.append(f"{spec.name}: no health check in the task definition")
            continue
        status = r.task.state(spec.name).get("Health", {})
        status = status.get("Status") if isinstance(status, dict) else None
        if status != "healthy":
            probe = r.task.engine.podman(
                "healthcheck", "run", f"{r.task.name}-{spec.name}", check=False
            )
            status = "healthy" if probe.returncode == 0 else f"unhealthy ({probe.stdout.strip()})"
        ok &= status == "healthy"
        after = r.task.healthy_after.get(spec.name)
        ecs = r.task.ecs_healthy_after(spec.name)
        seen.append(
            f"{spec.name}: {status}"
            + (
                f" {after:.1f} s after start (ECS, probing every {spec.health_check.interval} s, "
                f"would see it at {ecs:.0f} s)"
                if after is not None and ecs is not None
                else ""
            )
        )
    for name, built in r.prepared.images.items():
        test = _image_healthcheck(r, built.source.tag)
        if not test:
            continue
        code, output = r.task.exec(name, *test, timeout=60)
        ok &= code == 0
        seen.append(f"{name} image HEALTHCHECK: exit {code} {output[-200:]}")
    return Verdict("health checks", ok, "\n".join(seen))


def only_the_front_is_reachable(r: Rehearsal) -> Verdict:
    """Outside the task, only the target port answers; every other container listens on loopback."""
    target = r.definition.target
    seen = []
    ok = True
    for spec in r.definition.containers:
        for listener in listeners(r.task, spec.name):
            reachable = _connects(r.task.address, listener.port)
            expected = spec.name == target.container and not listener.loopback_only
            if spec.name != target.container:
                ok &= listener.loopback_only and not reachable
            seen.append(
                f"{spec.name} listens on {listener.address}:{listener.port}; from outside "
                f"the task: {'reachable' if reachable else 'refused'}"
                + (" (the target)" if expected and listener.port == target.port else "")
            )
    ok &= _connects(r.task.address, target.port)
    return Verdict("app reachable only through the front container", ok, "\n".join(seen))


def processes_run_as_their_users(r: Rehearsal) -> Verdict:
    """Every process runs as the container's configured user, and none as root."""
    seen = []
    ok = True
    for spec in r.definition.containers:
        image = r.prepared.images[spec.name].source.tag
        configured = spec.user or _image_user(r, image)
        expected = _numeric_uid(r, spec.name, configured)
        for proc in process_users(r.task, spec.name):
            good = proc.uid != 0 and (expected is None or proc.uid == expected)
            ok &= good
            seen.append(
                f"{spec.name}: uid {proc.uid} gid {proc.gid} (configured "
                f"{configured or 'root'}) {proc.command[:80]}"
            )
    return Verdict("non-root processes", ok, "\n".join(seen))


def writes_stay_in_declared_paths(r: Rehearsal) -> Verdict:
    """A read-only root changes nowhere but its mount points; without one, list the writes (NOTE)."""
    seen = []
    failed = undeclared = False
    for spec in r.definition.containers:
        declared = [m.path for m in spec.mount_points]
        writes = r.task.writes(spec.name)
        # A mount point's parent directories change when the mount point is made: not a write.
        outside = [w for w in writes if not any(_under(w, d) or _under(d, w) for d in declared)]
        if spec.read_only_root:
            failed |= bool(outside)
            seen.append(
                f"{spec.name} (read-only root; writable: {declared or 'nothing'}): "
                f"{len(writes)} path(s) changed" + (f", outside: {outside}" if outside else "")
            )
        else:
            undeclared = True
            seen.append(
                f"{spec.name}: the task definition declares no read-only root filesystem; "
                f"it wrote {_summarize(outside)}"
            )
    ok = False if failed else None if undeclared else True
    return Verdict("writes only in declared paths", ok, "\n".join(seen))


def _summarize(paths: list[str]) -> str:
    """Written paths, folded to their top directories with counts."""
    if not paths:
        return "nothing"
    tops: dict[str, int] = {}
    for path in paths:
        if not any(other != path and other.startswith(path + "/") for other in paths):
            top = "/".join(path.split("/")[:4])
            tops[top] = tops.get(top, 0) + 1
    return ", ".join(f"{top} ({count} file(s))" for top, count in sorted(tops.items()))


def declares_read_only_roots(r: Rehearsal) -> bool:
    """Whether the task definition gives every container a read-only root filesystem."""
    return all(spec.read_only_root for spec in r.definition.containers)


def api_key_required(r: Rehearsal) -> Verdict | None:
    """With API keys in the task definition, /predict without one is refused (401)."""
    if not any(API_KEY_SECRET in spec.secrets for spec in r.definition.containers):
        return None
    files = {k: (f"{k}.jpg", v, "image/jpeg") for k, v in predict_files().items()}
    with httpx.Client(base_url=r.base_url, verify=r.ssl_context(), timeout=60) as client:
        response = client.post("/predict", files=files)
    return Verdict(
        "API key required",
        response.status_code == 401,
        f"/predict without X-API-Key -> {response.status_code}",
    )


def _image_healthcheck(r: Rehearsal, image: str) -> list[str]:
    out = r.task.engine.podman(
        "image", "inspect", "--format", "{{json .Config.Healthcheck}}", image
    )
    test = (json.loads(out.stdout or "null") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        return []
    return list(test[1:]) if test[0] == "CMD" else ["/bin/sh", "-c", " ".join(test[1:])]


def _image_user(r: Rehearsal, image: str) -> str:
    out = r.task.engine.podman("image", "inspect", "--format", "{{.Config.User}}", image)
    return out.stdout.strip()


def _numeric_uid(r: Rehearsal, container: str, user: str) -> int | None:
    """The uid a USER value means inside the container (names resolved by its own `id`)."""
    name = user.split(":")[0]
    if not name:
        return 0
    if name.isdigit():
        return int(name)
    code, output = r.task.exec(container, "id", "-u", name)
    return int(output.strip()) if code == 0 and output.strip().isdigit() else None


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _connects(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        return sock.connect_ex((address, port)) == 0


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2.0).status_code
    except httpx.HTTPError:
        return None


def _clean_env() -> dict[str, str]:
    """This process's environment without settings that would change what the service serves."""
    drop = ("MODEL_", "API_KEYS", "HOST", "PORT", "AWS_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}
