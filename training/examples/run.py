"""Train the example models by name and publish each: what `make examples` runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from service.paths import REPO_ROOT as REPO
from training.examples import digits, tabular
from training.examples.provenance import commit_of
from training.examples.publish import Published, publish
from training.examples.records import Trained
from training.examples.tables import BANKNOTE, CENSUS

Trainer = Callable[[Path, Any], Trained]

TRAINERS: dict[str, Trainer] = {
    digits.NAME: lambda root, log: digits.train(root, log=log),
    CENSUS.name: lambda root, log: tabular.train(CENSUS, root, log=log),
    BANKNOTE.name: lambda root, log: tabular.train(BANKNOTE, root, log=log),
}


def train_examples(
    names: Sequence[str],
    data_root: Path,
    out_dir: Path,
    samples_dir: Path,
    *,
    log: Any = print,
) -> list[Published]:
    """Train and publish each named model (all when none is named), in a fixed order."""
    unknown = sorted(set(names) - set(TRAINERS))
    if unknown:
        raise ValueError(f"unknown example model(s) {unknown}; choose from {sorted(TRAINERS)}")
    commit = commit_of(REPO)  # before any file is written, so our own outputs do not count
    published = []
    for name in [n for n in TRAINERS if not names or n in names]:
        trained = TRAINERS[name](data_root, log)
        published.append(publish(trained, out_dir, samples_dir, commit=commit, log=log))
    return published
