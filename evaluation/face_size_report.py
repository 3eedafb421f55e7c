"""The face-size sweep judged as the service would judge it, the smallest trustworthy face, and the plot."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evaluation.cli import repo_path
from service.kinds.face.manifest import FaceManifest
from service.kinds.face.verdicts import judge
from service.paths import REPO_ROOT

if TYPE_CHECKING:
    from evaluation.face_size import Sweep

# A "confident" answer: the probability the service reports is at least this (or at most 1 - it).
CONFIDENT = 0.9
# The minimum keeps accuracy on the pairs it answers within this of the original photos'.
ACCURACY_TOLERANCE = 0.01
FACE_SIZE = (
    "the width, in pixels, of the face detector's box in the picture sent (the picture the service "
    "decodes; the same as the upload's pixels except for JPEGs over 1280 px, decoded at a reduced "
    "scale); pictures are resized as a whole so that the box found on the original would be that wide"
)
RULE = (
    "the smallest face size M such that, refusing every pair with a face narrower than M, at every "
    "swept size and in both modes the rate of confident false 'same person' answers (different "
    "people, probability >= 0.9) is no higher than on the original photos and the accuracy on the "
    "pairs answered is within 1 percentage point of theirs"
)


@dataclass(frozen=True)
class Judged:
    """Each pair's fate under one condition: answered or not, and the service's verdict."""

    answered: NDArray[np.bool_]
    refused: NDArray[np.bool_]  # a face was found but is narrower than the minimum
    same_person: NDArray[np.bool_]
    probability: NDArray[np.float64]


def judged(
    distances: NDArray[np.float64],
    widths: tuple[NDArray[np.int64], NDArray[np.int64]],
    manifest: FaceManifest,
    min_face_px: int | None,
) -> Judged:
    """The service's verdict for every pair; unanswered where no face, or a face under the minimum."""
    found = np.isfinite(distances) & (widths[0] > 0) & (widths[1] > 0)
    small = np.zeros_like(found)
    if min_face_px is not None:
        small = found & ((widths[0] < min_face_px) | (widths[1] < min_face_px))
    slope = manifest.calibration.slope if manifest.calibration else None
    verdicts = [
        judge(float(d), manifest.threshold, slope) if ok else None
        for d, ok in zip(distances, found & ~small, strict=True)
    ]
    return Judged(
        answered=found & ~small,
        refused=small,
        same_person=np.array([bool(v and v.same_person) for v in verdicts]),
        probability=np.array(
            [v.probability if v and v.probability is not None else np.nan for v in verdicts]
        ),
    )


def stats(j: Judged, same: NDArray[np.bool_], first_width: NDArray[np.int64]) -> dict[str, Any]:
    """Accuracy (an unanswered pair counts as wrong), answered share, confident false 'same' rate."""
    different = ~same
    right = j.answered & (j.same_person == same)
    confident_same = j.answered & j.same_person & (j.probability >= CONFIDENT)
    found = first_width[first_width > 0]
    return {
        "pairs": len(same),
        "accuracy": float(right.mean()),
        "accuracy_answered": float(right[j.answered].mean()) if j.answered.any() else None,
        "answered": float(j.answered.mean()),
        "refused_too_small": float(j.refused.mean()),
        "no_face": float((~j.answered & ~j.refused).mean()),
        "false_same": float((j.answered & j.same_person & different).sum() / different.sum()),
        "confident_false_same": float((confident_same & different).sum() / different.sum()),
        "confident_false_same_pairs": int((confident_same & different).sum()),
        "face_width_median": float(np.median(found)) if found.size else None,
    }


def condition_rows(
    sweep: Sweep, manifest: FaceManifest, min_face_px: int | None
) -> list[dict[str, Any]]:
    """Per condition, both modes: one photo degraded (against the other's original), and both."""
    same = np.array([p.same for p in sweep.pairs])
    rows = []
    for c, condition in enumerate(sweep.conditions):
        modes = {
            "one": judged(sweep.one[c], (sweep.width1[c], sweep.width2[0]), manifest, min_face_px),
            "both": judged(
                sweep.both[c], (sweep.width1[c], sweep.width2[c]), manifest, min_face_px
            ),
        }
        rows.append(
            {
                "condition": condition.name,
                "kind": condition.kind,
                "value": condition.value,
                **{mode: stats(j, same, sweep.width1[c]) for mode, j in modes.items()},
            }
        )
    return rows


def trustworthy(rows: list[dict[str, Any]]) -> bool:
    """Every sized condition, both modes, no worse than the original photos (RULE)."""
    original = rows[0]["one"]
    for row in rows:
        if row["kind"] != "size":
            continue
        for mode in ("one", "both"):
            s = row[mode]
            if s["confident_false_same"] > original["confident_false_same"]:
                return False
            if s["accuracy_answered"] is not None and (
                s["accuracy_answered"] < original["accuracy_answered"] - ACCURACY_TOLERANCE
            ):
                return False
    return True


def choose_minimum(sweep: Sweep, manifest: FaceManifest) -> int:
    """The smallest swept face size whose gate makes every size trustworthy (RULE)."""
    sizes = sorted(c.value for c in sweep.conditions if c.kind == "size")
    for size in sizes:
        if trustworthy(condition_rows(sweep, manifest, size)):
            return size
    return sizes[-1]


def commit() -> str:
    """The commit measured on (with '+changes' when the working tree differs from it)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head}+changes" if dirty else head


def report(sweep: Sweep, manifest: FaceManifest, *, model_file: Path, data: Path) -> dict[str, Any]:
    """The whole report: definitions, every condition ungated and gated at the chosen minimum."""
    minimum = choose_minimum(sweep, manifest)
    return {
        "model": {
            "name": manifest.name,
            "version": manifest.version,
            "sha256": manifest.sha256,
            "file": repo_path(model_file),
            "threshold": manifest.threshold,
            "calibration_slope": manifest.calibration.slope if manifest.calibration else None,
            "min_face_px": manifest.min_face_px,
        },
        "commit": sweep.commit,
        "judged_at_commit": commit(),
        "data": {
            "path": repo_path(data),
            "pairs": len(sweep.pairs),
            "subset": "LFW View 2: the first "
            f"{len(sweep.pairs) // 20} same-person and the first {len(sweep.pairs) // 20} "
            "different-person pairs of each of the ten folds",
        },
        "face_size": FACE_SIZE,
        "modes": {
            "one": "the first photo of each pair degraded, the second sent as the original file",
            "both": "both photos degraded",
        },
        "confident": CONFIDENT,
        "rule": RULE,
        "chosen_min_face_px": minimum,
        "ungated": condition_rows(sweep, manifest, None),
        "gated": condition_rows(sweep, manifest, minimum),
    }


def _pct(value: float | None) -> str:
    """A share as the docs print it."""
    return "n/a" if value is None else f"{100 * value:.2f} %"


def markdown(result: dict[str, Any]) -> str:
    """The docs' table: every condition, both modes, and the share the chosen minimum refuses."""
    gated = {row["condition"]: row for row in result["gated"]}
    lines = [
        f"Measured at commit {result['commit']} on {result['data']['pairs']} pairs "
        f"({result['data']['subset']}), {result['model']['name']} {result['model']['version']}; "
        f"chosen minimum: **{result['chosen_min_face_px']} px**. Confident false 'same': a "
        f"different-person pair answered `same_person: true` with probability >= "
        f"{result['confident']}, of all different-person pairs.",
        "",
        "| condition | face width (median) | accuracy, one photo degraded | accuracy, both "
        "| confident false 'same' (one / both) | no face (one / both) | refused at the minimum "
        "(one / both) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in result["ungated"]:
        one, both = row["one"], row["both"]
        refused = gated[row["condition"]]
        width = one["face_width_median"]
        lines.append(
            f"| {row['condition']} | {'n/a' if width is None else f'{width:.0f} px'} "
            f"| {_pct(one['accuracy'])} | {_pct(both['accuracy'])} "
            f"| {_pct(one['confident_false_same'])} / {_pct(both['confident_false_same'])} "
            f"| {_pct(one['no_face'])} / {_pct(both['no_face'])} "
            f"| {_pct(refused['one']['refused_too_small'])} / "
            f"{_pct(refused['both']['refused_too_small'])} |"
        )
    return "\n".join(lines)


def summary_line(result: dict[str, Any]) -> str:
    """One line for the terminal."""
    original = result["ungated"][0]["one"]
    return (
        f"original photos: accuracy {original['accuracy']:.4f}, confident false same "
        f"{original['confident_false_same']:.4f}; chosen minimum face {result['chosen_min_face_px']} px"
    )


def write(result: dict[str, Any], out: Path) -> None:
    """The JSON report and, beside it, its plot."""
    from evaluation import plots  # matplotlib only when writing

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    plots.face_size(result, out.with_suffix(".png"))
