"""The two faults rehearsed on the running task: the app crashing, and ECS stopping the task under load."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rehearse.checks import predict_files
from rehearse.load import Load, Outcome
from rehearse.rehearsal import Rehearsal
from rehearse.task import StopResult
from rehearse.verdict import Verdict

# Codes nginx answers by itself while the app is away (nginx/nginx.conf.template).
UNAVAILABLE_CODE = "upstream_unavailable"
# /predict answers that are complete HTTP answers (429: nginx's rate limit, present before a stop too).
ANSWERED = {200, 429}


@dataclass(frozen=True)
class CrashRecovery:
    """What the front answered while the app was down, and how long the app took to come back."""

    status_while_down: int
    body_while_down: dict[str, object]
    retry_after: str | None
    recovered_seconds: float
    predict_after: int


def crash_and_recover(r: Rehearsal) -> tuple[Verdict, CrashRecovery]:
    """SIGKILL the app: the front answers JSON 503 + Retry-After; restarted, it serves again."""
    model = r.definition.model
    assert model is not None
    app = model.container
    r.task.kill(app)
    with r.client() as client:
        down = client.get(r.definition.target.health_path)
    try:
        body = dict(down.json())
    except ValueError:
        body = {"not json": down.text[:200]}
    started = time.monotonic()
    r.task.start_container(app)
    r.task.wait_healthy(app)
    r.wait_target_healthy()
    recovered = time.monotonic() - started
    files = {k: (f"{k}.jpg", v, "image/jpeg") for k, v in predict_files().items()}
    with r.client() as client:
        after = client.post("/predict", files=files).status_code
    error = body.get("error")
    ok = (
        down.status_code == 503
        and isinstance(error, dict)
        and error.get("code") == UNAVAILABLE_CODE
        and down.headers.get("retry-after") is not None
        and after == 200
    )
    result = CrashRecovery(
        down.status_code, body, down.headers.get("retry-after"), recovered, after
    )
    detail = (
        f"app killed: {r.definition.target.health_path} -> {down.status_code} {body} "
        f"Retry-After {result.retry_after}; restarted: healthy target after "
        f"{recovered:.1f} s, /predict -> {after}"
    )
    return Verdict("app crash: JSON 503, then recovery", ok, detail), result


@dataclass(frozen=True)
class StopUnderLoad:
    """The ECS-style stop: each container's stop, and every request's outcome."""

    stops: tuple[StopResult, ...]
    outcomes: tuple[Outcome, ...]
    signalled_at: float

    def in_flight(self) -> list[Outcome]:
        """Requests under way when the first stop signal was sent."""
        return [o for o in self.outcomes if o.in_flight_at(self.signalled_at)]

    def cut_off(self) -> list[Outcome]:
        """Requests that got no complete answer."""
        return [o for o in self.outcomes if o.status not in ANSWERED]


def stop_under_load(r: Rehearsal, *, warm_requests: int = 6) -> tuple[Verdict, StopUnderLoad]:
    """Deregister (no new requests), then stop the task as ECS does while requests are in flight."""
    load = Load(
        url=f"{r.base_url}/predict",
        files=predict_files(),
        headers=r.headers(),
        verify=r.ssl_context(),
    )
    load.start()
    deadline = time.monotonic() + 120
    while load.answered() < warm_requests and time.monotonic() < deadline:
        time.sleep(0.1)
    # Mid-request for the trickling workers: signal while their uploads are under way.
    time.sleep(load.trickle_s / 2)
    load.deregister()
    signalled_at = time.monotonic()
    stops = r.task.stop_like_ecs()
    load.join(timeout=60)
    result = StopUnderLoad(tuple(stops), tuple(load.outcomes), signalled_at)
    order = [s.container for s in stops]
    expected_order = [c.name for c in reversed(r.definition.start_order())]
    in_flight = result.in_flight()
    cut = result.cut_off()
    ok = (
        bool(in_flight) and not cut and order == expected_order and not any(s.killed for s in stops)
    )
    lines = [
        f"{len(result.outcomes)} requests, {len(in_flight)} in flight at the stop "
        f"({sum(o.trickled for o in in_flight)} mid-upload), {len(cut)} cut off"
    ]
    lines += [
        f"stopped {s.container}: {s.signal}, exit {s.exit_code} after {s.seconds:.1f} s "
        f"(stop timeout {s.timeout} s{'; KILLED' if s.killed else ''})"
        for s in stops
    ]
    lines += [f"cut off: {o.status} {o.error}" for o in cut[:5]]
    return Verdict("ECS-style stop under load", ok, "\n".join(lines)), result
