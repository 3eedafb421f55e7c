"""Write the measured numbers into the model card between markers, so the card never drifts from a run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

EVAL_BLOCK = "EVALUATION"
SHIPPED_BLOCK = "SHIPPED-MODEL"


def _pct(value: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{100.0 * value:.1f} %"


def folds_text(folds: list[int]) -> str:
    """'1-5', 'all but 3' or '1, 4, 7' for 1-based fold numbers."""
    if len(folds) == 9:
        (missing,) = set(range(1, 11)) - set(folds)
        return f"all but {missing}"
    if folds and folds == list(range(folds[0], folds[-1] + 1)):
        return f"{folds[0]}-{folds[-1]}" if len(folds) > 1 else str(folds[0])
    return ", ".join(str(f) for f in folds)


def evaluation_markdown(evaluation: dict[str, Any]) -> str:
    """Summary, per-fold and slice tables from scripts/evaluate.py's JSON."""
    s = evaluation["summary"]
    lines = [
        f"Protocol: {evaluation['protocol']}. "
        f"{s['folds']} folds ({s['pairs']} pairs, {s['triplets']} triplets); "
        "mean ± standard deviation over folds (sample std, ddof=1).",
        "",
        "| metric | mean ± std over folds |",
        "| --- | --- |",
        f"| verification accuracy | {_pct(s['accuracy']['mean'])} ± {_pct(s['accuracy']['std'])} |",
        f"| ROC AUC | {s['auc']['mean']:.4f} ± {s['auc']['std']:.4f} |",
        f"| TAR at FAR = 1 % | {_pct(s['tar_at_far_1pct']['mean'])} ± {_pct(s['tar_at_far_1pct']['std'])} |",
        f"| triplet pick accuracy | {_pct(s['triplet_accuracy']['mean'])} ± "
        f"{_pct(s['triplet_accuracy']['std'])} ({s['triplets']} triplets) |",
        "",
        "| fold | trained on folds | threshold | accuracy | AUC | TAR@FAR=1 % | triplets |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    trained_on = {f: run["train_folds"] for run in evaluation["runs"] for f in run["test_folds"]}
    for row in evaluation["folds"]:
        span = folds_text(trained_on.get(row["fold"], [])) or "?"
        lines.append(
            f"| {row['fold']} | {span} | {row['threshold']:.4f} | {_pct(row['accuracy'])} | "
            f"{row['auc']:.4f} | {_pct(row['tar_at_far_1pct'])} | {_pct(row['triplet_accuracy'])} |"
        )
    lines += [
        "",
        "| slice of held-out pairs | pairs | same-person share | accuracy |",
        "| --- | --- | --- | --- |",
    ]
    for name, sl in evaluation["slices"].items():
        acc = _pct(sl["accuracy"]) if sl["pairs"] else "n/a"
        share = _pct(sl["same_share"]) if sl["pairs"] else "n/a"
        lines.append(f"| {name} | {sl['pairs']} | {share} | {acc} |")
    lines += ["", "| training run | people | images | wall time |", "| --- | --- | --- | --- |"]
    for run in evaluation["runs"]:
        lines.append(
            f"| folds {folds_text(run['train_folds'])} (+ non-pairs people) | {run['train_people']} | "
            f"{run['train_images']} | {run['seconds'] / 60:.1f} min |"
        )
    return "\n".join(lines)


def shipped_markdown(manifest: dict[str, Any]) -> str:
    """The shipped model's facts from its manifest."""
    t = manifest["training"]
    return "\n".join(
        [
            "| | |",
            "| --- | --- |",
            f"| file | `models/{manifest['name']}-{manifest['version']}.h5`, "
            f"{manifest['model_bytes'] / 1e6:.1f} MB, sha256 `{manifest['sha256'][:16]}…` |",
            f"| input | {' x '.join(str(v) for v in manifest['input_shape'])} (H x W x C), 0..255 |",
            f"| threshold | {manifest['threshold']:.4f} (cosine distance; same person when ≤) |",
            f"| trained on | {t['people']} people, {t['images']} images, {t['epochs']} epochs, "
            f"seed {t['seed']}, {t['duration_s'] / 60:.1f} min on {t['host']} |",
            f"| 3-image forward pass | {manifest['metrics']['forward_pass_ms_median']:.1f} ms median "
            "(batch of one triplet, after warm-up, on the training machine) |",
        ]
    )


def update_card(card: Path, block: str, markdown: str) -> bool:
    """Replace the text between <!-- block --> and <!-- /block --> in the card; False when absent."""
    if not card.is_file():
        return False
    text = card.read_text()
    pattern = re.compile(rf"(<!-- {block} -->\n)(?:.*?\n)?(<!-- /{block} -->)", re.DOTALL)
    if not pattern.search(text):
        return False
    card.write_text(pattern.sub(lambda m: m.group(1) + markdown + "\n" + m.group(2), text))
    return True
