"""The rehearsal's report: what was built and run, how big and how fast, and every verdict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rehearse.hygiene import LARGE_LAYER_BYTES, ImageFacts
from rehearse.images import relative_to_repo
from rehearse.rehearsal import Prepared
from rehearse.taskdef import TaskDefinition
from rehearse.verdict import Verdict


@dataclass
class RunRecord:
    """Everything one `make rehearse` measured."""

    prepared: Prepared | None = None
    facts: dict[str, ImageFacts] = field(default_factory=dict)
    start_seconds: float | None = None
    healthy_after: dict[str, float] = field(default_factory=dict)
    ecs_healthy_after: dict[str, float | None] = field(default_factory=dict)
    rehearsal_only: dict[str, list[str]] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    total_seconds: float = 0.0

    @property
    def failed(self) -> list[Verdict]:
        """The verdicts that failed."""
        return [v for v in self.verdicts if v.ok is False]


def format_report(record: RunRecord) -> str:
    """The text `make rehearse` prints."""
    lines: list[str] = []
    if record.prepared:
        lines += _task_lines(record.prepared.definition)
        lines.append("")
        lines.append("Images (built from the project's Dockerfiles on the stand-in bases):")
        for name, built in record.prepared.images.items():
            facts = record.facts.get(name)
            bases = ", ".join(
                f"{b.name} {f'built in {b.seconds:.0f} s' if b.built else 'cached'}"
                for b in built.bases
            )
            size = f"{facts.size / 1e6:,.0f} MB" if facts else "?"
            lines.append(
                f"  {name}: {size}, {len(facts.layers) if facts else '?'} layers, "
                f"build {built.seconds:.0f} s ({relative_to_repo(built.source.dockerfile)};"
                f" bases: {bases})"
            )
            for layer in facts.large_layers() if facts else []:
                parts = ", ".join(f"{p} {s / 1e6:.0f} MB" for p, s in layer.largest[:4])
                lines.append(f"    layer {layer.size / 1e6:,.0f} MB: {layer.created_by[:90]}")
                lines.append(f"      why: {layer.reason or 'NO REASON RECORDED'}")
                lines.append(f"      largest: {parts}")
        lines.append(f"  (layers over {LARGE_LAYER_BYTES // 10**6} MB listed)")
    if record.start_seconds is not None:
        lines.append("")
        lines.append(f"Task start to healthy target: {record.start_seconds:.1f} s")
        for name, seconds in record.healthy_after.items():
            ecs = record.ecs_healthy_after.get(name)
            lines.append(
                f"  {name} healthy {seconds:.1f} s after its start"
                + (f"; ECS would see it at the first probe, {ecs:.0f} s" if ecs else "")
            )
    if record.rehearsal_only:
        lines.append("Rehearsal-only settings (stand-ins for AWS, not in the template):")
        for name, keys in record.rehearsal_only.items():
            lines.append(f"  {name}: {', '.join(keys)}")
    lines.append("")
    for verdict in record.verdicts:
        lines.append(f"[{verdict.label}] {verdict.name}")
        lines += [f"       {line}" for line in verdict.detail.splitlines()]
    lines.append("")
    failed = record.failed
    lines.append(
        f"{len(record.verdicts) - len(failed)} of {len(record.verdicts)} checks passed "
        f"or noted, {len(failed)} failed; {record.total_seconds:.0f} s in all"
    )
    return "\n".join(lines)


def write_json(record: RunRecord, path: Path) -> None:
    """The numbers, for comparing runs."""
    data: dict[str, Any] = {
        "total_seconds": round(record.total_seconds, 1),
        "start_seconds": record.start_seconds,
        "healthy_after": record.healthy_after,
        "verdicts": [{"name": v.name, "ok": v.ok, "detail": v.detail} for v in record.verdicts],
        "images": {},
    }
    if record.prepared:
        data["prepare_seconds"] = round(record.prepared.seconds, 1)
        for name, built in record.prepared.images.items():
            facts = record.facts.get(name)
            data["images"][name] = {
                "build_seconds": round(built.seconds, 1),
                "bases": [
                    {"name": b.name, "built": b.built, "seconds": round(b.seconds, 1)}
                    for b in built.bases
                ],
                "size_bytes": facts.size if facts else None,
                "layers": [
                    {
                        "created_by": layer.created_by,
                        "bytes": layer.size,
                        "largest": layer.largest,
                        "reason": layer.reason,
                    }
                    for layer in facts.layers
                ]
                if facts
                else [],
            }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def _task_lines(definition: TaskDefinition) -> list[str]:
    target = definition.target
    lines = [
        f"Task definition: {definition.stack} ({relative_to_repo(definition.template)}), "
        f"{definition.cpu_units / 1024:g} vCPU / {definition.memory_mib} MiB, "
        f"{definition.network_mode}; target {target.container}:{target.port} "
        f"{target.protocol} {target.health_path}"
    ]
    for spec in definition.start_order():
        check = spec.health_check
        health = (
            f"every {check.interval} s, start period {check.start_period} s" if check else "none"
        )
        lines.append(
            f"  {spec.name}: {len(spec.environment)} env, {len(spec.secrets)} secret(s), "
            f"user {spec.user or '(image)'}, health {health}, "
            f"depends on {dict(spec.depends_on) or 'nothing'}, stop timeout {spec.stop_timeout} s, "
            f"root {'read-only' if spec.read_only_root else 'writable'}"
            + (f", mounts {[m.path for m in spec.mount_points]}" if spec.mount_points else "")
        )
    return lines
