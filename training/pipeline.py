"""The steps end to end: load LFW and its crops, cross-validate over identity-disjoint splits."""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from training import evaluate as protocol
from training import lfw, report
from training.crops import CropSet, CropSpec, load_or_build
from training.train import TrainConfig, fit_embedding, to_channels

Logger = Callable[[str], None]


@dataclass(frozen=True)
class DataSource:
    """Where the data comes from and how it is cropped: enough for a worker process to reload it."""

    data: Path
    spec: CropSpec
    cache: Path = lfw.DEFAULT_CACHE
    pairs_per_fold: int | None = None
    images_per_person: int | None = None


@dataclass(frozen=True)
class Dataset:
    """LFW as the pipeline needs it: pairs, who is in which fold, every usable image's crop."""

    source: DataSource
    images_dir: Path
    pairs: list[lfw.Pair]
    fold_of: dict[str, int]
    people: dict[str, list[str]]
    crops: CropSet


def load_dataset(source: DataSource, log: Logger = print, *, workers: int | None = None) -> Dataset:
    """Locate/extract the images, read pairs.txt and crop everything (cached); optionally a tiny subset."""
    data, spec, cache = source.data, source.spec, source.cache
    pairs_per_fold, images_per_person = source.pairs_per_fold, source.images_per_person
    images_dir = lfw.resolve_images_dir(data, cache)
    pairs_file = data / "pairs.txt"
    if not pairs_file.is_file():
        pairs_file = images_dir.parent / "pairs.txt"
    pairs = lfw.read_pairs(pairs_file)
    people = lfw.list_images(images_dir)
    if pairs_per_fold is not None:
        pairs = _first_pairs(pairs, pairs_per_fold)
        named = {n for p in pairs for n in (p.name1, p.name2)}
        people = {n: keys for n, keys in people.items() if n in named}
    if images_per_person is not None:
        needed = {k for p in pairs for k in (p.image1, p.image2)}
        people = {n: _cap(keys, needed, images_per_person) for n, keys in people.items()}
    fold_of = lfw.people_by_fold(pairs)
    keys = sorted(k for ks in people.values() for k in ks)
    started = time.perf_counter()
    crops = load_or_build(images_dir, keys, spec, cache / "crops", workers=workers)
    log(f"{len(keys)} crops of {len(people)} people ready in {time.perf_counter() - started:.0f} s")
    return Dataset(source, images_dir, pairs, fold_of, people, crops)


def _first_pairs(pairs: list[lfw.Pair], n: int) -> list[lfw.Pair]:
    """The first n same and n different pairs of every fold (tiny runs for tests)."""
    kept: list[lfw.Pair] = []
    for fold in range(lfw.N_FOLDS):
        for same in (True, False):
            kept.extend([p for p in pairs if p.fold == fold and p.same is same][:n])
    return kept


def _cap(keys: list[str], needed: set[str], limit: int) -> list[str]:
    """A person's images cut to `limit`, always keeping those the pairs use."""
    extra = [k for k in keys if k not in needed][: max(0, limit - len(needed & set(keys)))]
    return sorted({*extra, *(k for k in keys if k in needed)})


def training_keys(dataset: Dataset, folds: Iterable[int], min_images: int = 2) -> list[str]:
    """Images of the people we may train on for these folds (plus non-pairs people)."""
    names = lfw.training_people(dataset.people, dataset.fold_of, folds, min_images)
    return [k for n in names for k in dataset.people[n]]


def _split_in_process(
    source: DataSource,
    config: TrainConfig,
    train_folds: tuple[int, ...],
    test_folds: tuple[int, ...],
    log_path: Path | None,
) -> tuple[protocol.HeldOut, dict[str, object]]:
    """Worker process: reload the cached data and run one split, logging with a prefix."""
    folds = "fold" if len(test_folds) == 1 else "folds"
    log = append_logger(
        log_path, f"[test {folds} {report.folds_text([f + 1 for f in test_folds])}]"
    )
    return run_split(load_dataset(source, log), config, train_folds, test_folds, log)


def append_logger(path: Path | None, prefix: str) -> Logger:
    """Timestamped lines to stdout and appended to a shared log file."""

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {prefix} {message}"
        print(line, flush=True)
        if path is not None:
            with path.open("a") as handle:
                handle.write(line + "\n")

    return log


def run_split(
    dataset: Dataset,
    config: TrainConfig,
    train_folds: tuple[int, ...],
    test_folds: tuple[int, ...],
    log: Logger,
) -> tuple[protocol.HeldOut, dict[str, object]]:
    """Train on the people of train_folds, embed the held-out pairs' images, return their distances."""

    log(
        f"split: train on folds {[f + 1 for f in train_folds]}, test on {[f + 1 for f in test_folds]}"
    )
    keys = training_keys(dataset, train_folds, config.min_images)
    held_pairs = [p for p in dataset.pairs if p.fold in test_folds]
    protocol.check_disjoint(keys, held_pairs)
    started = time.perf_counter()
    trained = fit_embedding(dataset.crops.subset(keys), config, log)
    seconds = time.perf_counter() - started
    needed = sorted({k for p in held_pairs for k in (p.image1, p.image2)})
    vectors = trained.embed(to_channels(dataset.crops.subset(needed).pixels, config.channels))
    held = protocol.held_out_distances(
        dict(zip(needed, vectors, strict=True)), held_pairs, config.seed
    )
    info = {
        "train_folds": [f + 1 for f in train_folds],
        "test_folds": [f + 1 for f in test_folds],
        "train_people": len({k.split("/", 1)[0] for k in keys}),
        "train_images": len(keys),
        "seconds": round(seconds, 1),
        "final_loss": trained.history[-1]["loss"] if trained.history else None,
    }
    return held, info


def cross_validate(
    dataset: Dataset,
    config: TrainConfig,
    log: Logger,
    protocol_name: str = "halves",
    *,
    workers: int = 1,
    log_path: Path | None = None,
) -> dict[str, object]:
    """One training per split: per-fold rows, their summary, slices and the threshold to ship."""
    splits = protocol.PROTOCOLS[protocol_name]
    if workers > 1:
        # Single-thread trainings side by side use the cores better than one multi-thread training.
        child = dataclasses.replace(config, threads=max(1, config.threads // workers))
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [
                pool.submit(_split_in_process, dataset.source, child, train, test, log_path)
                for train, test in splits
            ]
            outcomes = [f.result() for f in futures]
    else:
        outcomes = [run_split(dataset, config, train, test, log) for train, test in splits]
    helds = [held for held, _ in outcomes]
    held = protocol.merge(helds)
    rows = protocol.fold_results(held)
    for row in rows:
        log(
            f"  fold {row['fold']}: accuracy {row['accuracy']:.4f} auc {row['auc']:.4f} "
            f"triplets {row['triplet_accuracy']:.4f}"
        )
    thresholds = {int(r["fold"]) - 1: float(r["threshold"]) for r in rows}
    summary = protocol.summarise(rows)
    log(f"accuracy {summary['accuracy']}")
    return {
        "protocol": PROTOCOL_TEXT[protocol_name],
        "protocol_name": protocol_name,
        "summary": summary,
        "folds": rows,
        "slices": protocol.slice_results(helds, thresholds, dataset.crops),
        "shipped_threshold": protocol.shipped_threshold(helds),
        "runs": [info for _, info in outcomes],
        "config": config.as_dict(),
    }


PROTOCOL_TEXT = {
    "ten-fold": "LFW View 2 pairs.txt, 10 official folds; identity-disjoint ten-fold: ten trainings, "
    "each on the people of the nine other folds + non-pairs people, tested on its held-out fold; "
    "each fold's threshold chosen on the other nine folds' held-out pairs",
    "halves": "LFW View 2 pairs.txt, 10 official folds; identity-disjoint two halves "
    "(train on the people of folds 1-5 + non-pairs people, test on folds 6-10, and the reverse); "
    "each fold's threshold chosen on the other nine folds' held-out pairs",
}
