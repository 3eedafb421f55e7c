"""The docs' figures, drawn from the JSON the evaluation wrote (matplotlib, Agg: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

DPI = 110


def face_size(result: dict[str, Any], out: Path) -> None:
    """Accuracy and confident false 'same person' rate against face width, the minimum marked."""
    rows = [r for r in result["ungated"] if r["kind"] == "size"]
    original = result["ungated"][0]["one"]
    sizes = [r["value"] for r in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for mode, style in (("one", "o-"), ("both", "s--")):
        label = result["modes"][mode].split(",")[0] if mode == "one" else "both photos degraded"
        left.plot(sizes, [r[mode]["accuracy"] * 100 for r in rows], style, label=label)
        right.plot(sizes, [r[mode]["confident_false_same"] * 100 for r in rows], style, label=label)
    left.axhline(original["accuracy"] * 100, color="grey", lw=1, label="original photos")
    right.axhline(
        original["confident_false_same"] * 100, color="grey", lw=1, label="original photos"
    )
    for axis, title in (
        (left, "accuracy (no face counts as wrong), %"),
        (right, f"different people answered 'same' with p >= {result['confident']}, %"),
    ):
        axis.axvline(result["chosen_min_face_px"], color="red", lw=1, ls=":", label="minimum face")
        axis.set_xlabel("face width in the picture sent, px")
        axis.set_title(title, fontsize=10)
        axis.grid(alpha=0.3)
    left.legend(fontsize=8)
    model = result["model"]
    figure.suptitle(
        f"{model['name']} {model['version']} on {result['data']['pairs']} LFW pairs "
        f"(commit {result['commit']})",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(out, dpi=DPI)
    plt.close(figure)


def roc_and_reliability(results: dict[str, Any], out: Path) -> None:
    """The pooled ROC curve and the cross-validated reliability diagram of make evaluate's JSON."""
    roc = results["ours"]["roc"]
    bins = results["calibration"]["reliability_cross_validated"]["bins"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot([p * 100 for p in roc["far"]], [t * 100 for t in roc["tar"]], "-")
    left.set_xscale("log")
    left.set_xlabel("false accept rate, % (log)")
    left.set_ylabel("true accept rate, %")
    left.set_title("ROC, held-out distances of all folds pooled", fontsize=10)
    left.grid(alpha=0.3, which="both")
    right.plot([0, 1], [0, 1], color="grey", lw=1, label="perfectly calibrated")
    right.plot(
        [b["mean_probability"] for b in bins], [b["same_share"] for b in bins], "o-", label="model"
    )
    for b in bins:
        right.annotate(str(b["pairs"]), (b["mean_probability"], b["same_share"]), fontsize=7)
    right.set_xlabel("predicted probability of the same person (bin mean)")
    right.set_ylabel("share that are the same person")
    right.set_title("reliability, fits on the other folds (pairs per bin)", fontsize=10)
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    model = results["model"]
    figure.suptitle(f"{model['name']} {model['version']} on LFW View 2", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=DPI)
    plt.close(figure)
