"""`make rehearse` from end to end: build, run the task, check it, break it, stop it, report."""

from __future__ import annotations

import time
from pathlib import Path

from rehearse import checks, faults
from rehearse.bases import NoStandIn
from rehearse.engine import Engine, EngineError
from rehearse.hygiene import hygiene_verdicts, image_facts
from rehearse.rehearsal import Rehearsal, prepare, running
from rehearse.report import RunRecord
from rehearse.s3 import PublishError
from rehearse.task import TaskFailed
from rehearse.taskdef import TaskDefinitionError
from rehearse.verdict import Verdict


def rehearse(engine: Engine, cdk_out: Path, run_dir: Path) -> RunRecord:
    """Every check and fault, in the order a deploy meets them; the record of what happened."""
    started = time.monotonic()
    record = RunRecord()
    logs = run_dir / "logs"
    try:
        record.prepared = prepare(engine, cdk_out, logs=logs)
        for name, built in record.prepared.images.items():
            record.facts[name] = image_facts(engine, built.source.tag)
            record.verdicts += hygiene_verdicts(
                engine, record.facts[name], size_budget=built.source.size_budget
            )
        with running(engine, record.prepared, run_dir=run_dir) as r:
            _note_start(record, r)
            record.verdicts += running_checks(r, logs)
            record.verdicts.append(faults.crash_and_recover(r)[0])
            record.verdicts.append(faults.stop_under_load(r)[0])
    except (TaskFailed, TaskDefinitionError, EngineError, PublishError, NoStandIn) as exc:
        # What a deploy would meet as a failed task: reported, with the logs kept in run_dir.
        record.verdicts.append(Verdict("the task builds, starts and serves", False, str(exc)))
    finally:
        record.total_seconds = time.monotonic() - started
    return record


def running_checks(r: Rehearsal, logs: Path) -> list[Verdict]:
    """The checks against a healthy task (traffic first, so the writes check sees its effects)."""
    verdicts = [
        checks.containers_match_the_definition(r),
        checks.target_readiness(r),
        checks.predict_matches_reference(r, logs / "reference-service.log"),
        checks.health_checks(r),
        checks.only_the_front_is_reachable(r),
        checks.processes_run_as_their_users(r),
    ]
    key = checks.api_key_required(r)
    if key is not None:
        verdicts.append(key)
    verdicts.append(checks.writes_stay_in_declared_paths(r))
    return verdicts


def _note_start(record: RunRecord, r: Rehearsal) -> None:
    record.start_seconds = r.start_seconds
    record.healthy_after = dict(r.task.healthy_after)
    record.ecs_healthy_after = {
        name: r.task.ecs_healthy_after(name) for name in r.task.healthy_after
    }
    model = r.definition.model
    if model is not None:
        record.rehearsal_only[model.container] = [
            *sorted(r.s3.container_env()),
            f"{model.variable} bucket -> {r.s3.bucket}",
        ]
    for spec in r.definition.containers:
        if spec.secrets:
            record.rehearsal_only.setdefault(spec.name, []).extend(
                f"secret {name}: generated value" for name in spec.secrets
            )
