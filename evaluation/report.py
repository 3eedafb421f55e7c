"""Write the measured numbers into the model card between markers, so the card never drifts from a run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# The card's generated blocks: between <!-- NAME --> and <!-- /NAME --> in docs/MODEL_CARD.md.
HEADLINE_BLOCK = "RESNET-HEADLINE"
EVALUATION_BLOCK = "RESNET-EVALUATION"
CALIBRATION_BLOCK = "RESNET-CALIBRATION"


def _pct(value: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{100.0 * value:.1f} %"


def _pct2(value: float) -> str:
    """A share as a percentage with two decimals (figures near 99 %)."""
    return f"{100.0 * value:.2f} %"


def slice_table(slices: dict[str, Any], heading: str) -> list[str]:
    """Pairs, same-person share and accuracy of each slice."""
    lines = [f"| {heading} | pairs | same-person share | accuracy |", "| --- | --- | --- | --- |"]
    for name, sl in slices.items():
        acc = _pct(sl["accuracy"]) if sl["pairs"] else "n/a"
        share = _pct(sl["same_share"]) if sl["pairs"] else "n/a"
        lines.append(f"| {name} | {sl['pairs']} | {share} | {acc} |")
    return lines


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


def _row(name: str, s: dict[str, Any]) -> str:
    """One summary row: accuracy, AUC, pooled TAR, triplets, unanswered pairs."""
    pooled = s.get("pooled", {})
    return (
        f"| {name} | {_pct2(s['accuracy']['mean'])} ± {_pct2(s['accuracy']['std'])} | "
        f"{s['auc']['mean']:.4f} | {_pct(pooled.get('tar_at_far_0.1pct', float('nan')))} | "
        f"{_pct(pooled.get('tar_at_far_1pct', float('nan')))} | "
        f"{_pct2(s['triplet_accuracy']['mean'])} ± {_pct2(s['triplet_accuracy']['std'])} | "
        f"{s.get('unanswered', 0)} |"
    )


def calibration_formula(cal: dict[str, Any]) -> str:
    """The fitted logistic as the card writes it (older runs fitted a free intercept)."""
    fit = cal["fit"]
    if "intercept" in fit:
        return (
            f"p(same) = 1 / (1 + exp(-({fit['intercept']:.3f} + ({fit['slope']:.3f}) * distance)))"
        )
    return (
        f"p(same) = 1 / (1 + exp(-({fit['slope']:.3f}) * (distance - threshold))), one half at the "
        f"threshold ({cal['at_threshold']:.4f}) so that the verdict and the probability agree"
    )


def calibration_markdown(results: dict[str, Any]) -> str:
    """The card's calibration paragraph and reliability table from scripts/evaluate.py's JSON."""
    cal = results["calibration"]
    rel = cal["reliability_cross_validated"]
    lines = [
        f"Calibration: {calibration_formula(cal)}, fitted on {cal['pairs']} pairs. Reliability of "
        f"probabilities from fits on the other nine folds: expected calibration error {rel['ece']:.4f}, "
        f"Brier score {rel['brier']:.4f}, log loss {rel['log_loss']:.4f}.",
        "",
        "| predicted probability | pairs | mean predicted | share that are the same person |",
        "| --- | --- | --- | --- |",
    ]
    for b in rel["bins"]:
        lines.append(
            f"| {b['from']:.1f}-{b['to']:.1f} | {b['pairs']} | {b['mean_probability']:.3f} | "
            f"{b['same_share']:.3f} |"
        )
    return "\n".join(lines)


def evaluation_markdown(results: dict[str, Any]) -> str:
    """The card's numbers from scripts/evaluate.py's JSON: ours beside dlib's, folds, calibration, slices."""
    ours, ref = results["ours"], results.get("reference")
    lines = [
        f"Protocol: {results['protocol']}. {ours['summary']['pairs']} pairs, "
        f"{ours['summary']['triplets']} triplets; mean ± sample std over the 10 folds; TAR at a "
        "given FAR pooled over all folds (3,000 different-person pairs).",
        "",
        "| pipeline | accuracy | ROC AUC | TAR @ FAR 0.1 % | TAR @ FAR 1 % | triplet pick "
        "| pairs without an answer |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        _row(
            f"**ours** ({results['model']['name']} {results['model']['version']}, the service's pipeline)",
            ours["summary"],
        ),
    ]
    if ref:
        lines.append(_row("dlib-bin's own pipeline, HOG box nearest the centre", ref["summary"]))
    if "reference_first_box" in results:
        lines.append(
            _row(
                "dlib-bin's own pipeline, first HOG box (`face_encodings(image)[0]`)",
                results["reference_first_box"]["summary"],
            )
        )
    lines += [
        "",
        "| fold | threshold (from the other nine) | ours | dlib's pipeline |",
        "| --- | --- | --- | --- |",
    ]
    ref_folds = {r["fold"]: r for r in ref["folds"]} if ref else {}
    for row in ours["folds"]:
        theirs = _pct2(ref_folds[row["fold"]]["accuracy"]) if row["fold"] in ref_folds else "n/a"
        lines.append(
            f"| {row['fold']} | {row['threshold']:.4f} | {_pct2(row['accuracy'])} | {theirs} |"
        )
    det, nf = results["detection"], results["no_face_set"]
    lines += [
        "",
        f"Face found in **{det['found']} of {det['images']}** LFW images ({100 * det['share']:.2f} %); "
        f"no face found in: {', '.join(det['missed']) or 'none'}. No-face set: "
        f"{len(nf['accepted'])} of {nf['pictures']} pictures accepted"
        + (f" ({', '.join(nf['accepted'])})" if nf["accepted"] else "")
        + f"; median {nf['median_ms']:.0f} ms, at most {nf['max_ms']:.0f} ms each to refuse.",
        "",
        *slice_table(results["slices"], "slice of pairs"),
    ]
    if "timing" in results:
        t = results["timing"]
        lines += [
            "",
            f"Forward pass of three faces (one triplet, this model through a tf.function as the "
            f"service calls it): **{t['forward_3_faces_ms']:.1f} ms**; dlib-bin's "
            f"`compute_face_descriptor` for the same three chips: {t['dlib_descriptor_3_faces_ms']:.1f} ms "
            "(same machine, same run, interleaved).",
        ]
    return "\n".join(lines)


def headline_markdown(results: dict[str, Any]) -> str:
    """The card's first paragraph: the headline numbers of the latest evaluation."""
    s = results["ours"]["summary"]
    parts = [
        f"**Headline (LFW View 2, ten folds, the service's own pipeline):** verification accuracy "
        f"**{_pct2(s['accuracy']['mean'])} ± {_pct2(s['accuracy']['std'])}**, triplet pick "
        f"**{_pct2(s['triplet_accuracy']['mean'])}**, ROC AUC {s['auc']['mean']:.4f}, "
        f"TAR {_pct(s['pooled']['tar_at_far_0.1pct'])} at FAR = 0.1 %"
    ]
    if "reference" in results:
        r = results["reference"]["summary"]
        parts.append(
            f"; dlib-bin's own pipeline (the `face_recognition` library's recipe, with the HOG box "
            f"nearest the centre) scores {_pct2(r['accuracy']['mean'])} ± "
            f"{_pct2(r['accuracy']['std'])} and {_pct2(r['triplet_accuracy']['mean'])} on the same "
            "pairs in the same run"
        )
    det = results["detection"]
    parts.append(
        f". A face is found in {det['found']} of {det['images']} LFW images "
        f"({100 * det['share']:.2f} %); threshold {results['ours']['threshold']:.4f} (Euclidean)."
    )
    return "".join(parts)
