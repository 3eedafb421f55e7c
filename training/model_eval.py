"""Evaluate a model file on LFW View 2 through the service's own pipeline: the standard ten folds.

For a network that never trained on LFW (dlib's was trained with every LFW identity excluded) every
fold is a test fold: each pair is embedded by the served model (the `embedding` sub-model of the
.h5), each fold's threshold is chosen on the other nine folds' pairs, and an image where the
service finds no face (it would answer 422) makes every pair and triplet it is in count as wrong.
dlib's own pipeline (training/dlib_reference.py) runs on the same pairs as the reference row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from training import calibration, metrics
from training import evaluate as protocol
from training.pipeline import Dataset
from training.whitening import fit as fit_whitening

Logger = Callable[[str], None]
Vectors = dict[str, NDArray[np.float32]]
# Pooled over all ten folds: 3,000 different-person pairs make FAR = 0.1 % meaningful (3 accepts).
POOLED_FARS = (0.001, 0.01)
WHITENING_SHRINK = 0.5
PROTOCOL = (
    "LFW View 2 pairs.txt, the 10 official folds, every fold a test fold (the network never trained "
    "on an LFW person); the service's own pipeline on the raw deep-funneled .jpg files; each fold's "
    "threshold chosen on the other nine folds' pairs; an image with no face found counts every pair "
    "and triplet it is in as wrong"
)


@dataclass(frozen=True)
class Embedded:
    """What the served model makes of each image: its embedding, and the two halves behind it."""

    served: Vectors  # the .h5's embedding (NaN where no face was found)
    plain: Vectors  # the network's descriptor of the chip
    mirrored: Vectors  # ... of the chip's mirror image


def embed_pairs(model: Any, dataset: Dataset, keys: list[str]) -> Embedded:
    """The served model's embedding of each chip, and its network's descriptor of chip and mirror."""
    from dlib_port.siamese import descriptor_of, embed

    descriptor = descriptor_of(model)
    crops = dataset.crops.subset(keys)
    found = crops.detected
    chips = crops.pixels[found].astype(np.float32)

    def run(images: NDArray[np.float32], batch: int = 32) -> NDArray[np.float32]:
        parts = [
            np.asarray(descriptor(images[i : i + batch], training=False))
            for i in range(0, len(images), batch)
        ]
        return np.concatenate(parts).astype(np.float32)

    outputs = [embed(model, chips), run(chips), run(chips[:, :, ::-1])]
    width = outputs[0].shape[1]
    tables: list[Vectors] = []
    for out in outputs:
        full = np.full((len(keys), width), np.nan, dtype=np.float32)
        full[found] = out
        tables.append(dict(zip(keys, full, strict=True)))
    return Embedded(*tables)


def served_matches_model(model: Any, dataset: Dataset, vectors: Vectors, keys: list[str]) -> float:
    """Largest |difference| between the .h5's own output distances and ours, on a few real triplets."""
    rows = [k for k in keys if np.isfinite(vectors[k]).all()][:24]
    chips = dataset.crops.subset(rows).pixels.astype(np.float32)
    anchor, first, second = chips[0::3], chips[1::3], chips[2::3]
    outputs = model([anchor, first, second], training=False)
    theirs = np.concatenate([np.asarray(o).reshape(len(anchor), -1) for o in outputs], axis=1)
    ours = np.stack(
        [
            np.linalg.norm(
                np.stack([vectors[k] for k in rows[0::3]])
                - np.stack([vectors[k] for k in rows[i::3]]),
                axis=1,
            )
            for i in (1, 2)
        ],
        axis=1,
    )
    return float(np.abs(theirs - ours).max())


def verification(held: protocol.HeldOut) -> dict[str, Any]:
    """Per-fold rows, their summary, pooled TAR at low FAR and the pooled threshold."""
    rows = protocol.fold_results(held)
    same = np.array([p.same for p in held.pairs])
    answered = np.isfinite(held.distances)
    pooled = {
        f"tar_at_far_{far * 100:g}pct": metrics.tar_at_far(
            held.distances[answered], same[answered], far
        )
        for far in POOLED_FARS
    }
    return {
        "summary": {**protocol.summarise(rows), "pooled": pooled},
        "folds": rows,
        "threshold": protocol.shipped_threshold([held]),
    }


def calibrate(held: protocol.HeldOut) -> dict[str, Any]:
    """The shipped logistic fit (all pairs) and its reliability on folds it did not see."""
    answered = np.isfinite(held.distances)
    same = np.array([p.same for p in held.pairs])[answered]
    folds = np.array([p.fold for p in held.pairs])[answered]
    distances = held.distances[answered]
    out_of_fold = calibration.cross_validated(distances, same, folds)
    return {
        "fit": calibration.fit_logistic(distances, same).as_manifest(),
        "reliability_cross_validated": calibration.reliability(out_of_fold, same),
        "pairs": int(answered.sum()),
    }


def whitened(
    embedded: Vectors, pairs: list[Any], fold_of: dict[str, int], held_fold: int
) -> Vectors:
    """WCCN fitted on the pair images of the other nine folds' people, applied to everyone."""
    keys = sorted({k for p in pairs for k in (p.image1, p.image2)})
    train = [
        k
        for k in keys
        if fold_of[k.split("/", 1)[0]] != held_fold and np.isfinite(embedded[k]).all()
    ]
    names = sorted({k.split("/", 1)[0] for k in train})
    label = {n: i for i, n in enumerate(names)}
    vectors = np.stack([embedded[k] for k in train])
    labels = np.array([label[k.split("/", 1)[0]] for k in train], dtype=np.int32)
    transform = fit_whitening(vectors, labels, WHITENING_SHRINK)
    return {k: transform.apply(v[None])[0] for k, v in embedded.items()}


def trials(embedded: Embedded, dataset: Dataset, seed: int) -> dict[str, Any]:
    """Variants measured on the same chips: plain descriptor, mirror average, each whitened per fold."""
    pairs = dataset.pairs
    averaged = {
        k: (embedded.plain[k] + embedded.mirrored[k]) / np.float32(2.0) for k in embedded.plain
    }
    out: dict[str, Any] = {}
    for name, vectors in (("plain", embedded.plain), ("mirror average", averaged)):
        out[name] = verification(
            protocol.held_out_distances(vectors, pairs, seed, protocol.euclidean_distances)
        )["summary"]
        helds = []
        for fold in sorted({p.fold for p in pairs}):
            in_fold = [p for p in pairs if p.fold == fold]
            white = whitened(vectors, pairs, dataset.fold_of, fold)
            helds.append(
                protocol.held_out_distances(white, in_fold, seed, protocol.euclidean_distances)
            )
        out[f"{name} + WCCN (fitted on the other nine folds)"] = verification(
            protocol.merge(helds)
        )["summary"]
    return out


def timing(
    model: Any, chips: list[NDArray[np.uint8]], dlib_ms: Callable[[], float], rounds: int = 5
) -> dict[str, float]:
    """Our forward pass of one triplet against dlib's descriptor of the same three chips, interleaved."""
    import tensorflow as tf

    spec = tf.TensorSpec(shape=(None, *chips[0].shape), dtype=tf.float32)

    @tf.function(input_signature=[spec, spec, spec])  # type: ignore[untyped-decorator]
    def forward(a: Any, b: Any, c: Any) -> Any:
        return model([a, b, c], training=False)

    batch = [tf.constant(c[None].astype(np.float32)) for c in chips]
    for _ in range(3):
        forward(*batch)
    ours, theirs = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(5):
            np.asarray(forward(*batch)[0])
        ours.append((time.perf_counter() - started) * 200.0)
        theirs.append(dlib_ms())
    return {
        "forward_3_faces_ms": float(np.median(ours)),
        "dlib_descriptor_3_faces_ms": float(np.median(theirs)),
    }


def detection_rate(dataset: Dataset) -> dict[str, Any]:
    """Share of every LFW image (not only the pairs') in which the service finds a face."""
    found = dataset.crops.detected
    missed = [k for k, ok in zip(dataset.crops.keys, found, strict=True) if not ok]
    return {
        "images": len(found),
        "found": int(found.sum()),
        "share": float(found.mean()),
        "missed": missed,
    }


def no_face_check(dataset: Dataset, *, all_variants: bool = True) -> dict[str, Any]:
    """The recipe on the no-face set (training/no_face.py): every picture should get no_face."""
    from training import no_face
    from training.crops import cropper_for

    spec = dataset.source.spec
    cropper = cropper_for(spec.recipe)
    return no_face.accepted(
        lambda picture: cropper.crop(picture, size=spec.size, channels=spec.channels),
        all_variants=all_variants,
    )


def held_for(vectors: Vectors, dataset: Dataset, seed: int) -> protocol.HeldOut:
    """Pair and triplet distances of all ten folds under one set of embeddings."""
    return protocol.held_out_distances(vectors, dataset.pairs, seed, protocol.euclidean_distances)


def pair_keys(dataset: Dataset) -> list[str]:
    """Every image the pairs use, sorted."""
    return sorted({k for p in dataset.pairs for k in (p.image1, p.image2)})


def reference_missed(dataset: Dataset, hog_found: dict[str, bool]) -> NDArray[np.bool_]:
    """Pairs where dlib's HOG found no face in at least one image (the reference used its centre box)."""
    return np.array([not (hog_found[p.image1] and hog_found[p.image2]) for p in dataset.pairs])


def write_path(path: Path) -> Path:
    """Make the folder of an output file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def evaluate(
    model_path: Path,
    dataset: Dataset,
    *,
    seed: int,
    reference: bool,
    reference_workers: int,
    log: Logger,
    all_no_face_variants: bool = True,
) -> dict[str, Any]:
    """The whole evaluation: ours, calibration, trials, dlib's pipeline, detection, timing."""
    import keras

    from training.dlib_reference import descriptor_ms, run_reference

    model = keras.models.load_model(model_path, compile=False)
    keys = pair_keys(dataset)
    started = time.perf_counter()
    embedded = embed_pairs(model, dataset, keys)
    log(f"embedded {len(keys)} pair images in {time.perf_counter() - started:.0f} s")
    check = served_matches_model(model, dataset, embedded.served, keys)
    log(f"served model vs evaluation distances: max |difference| {check:.2e}")
    held = held_for(embedded.served, dataset, seed)
    ours = verification(held)
    results: dict[str, Any] = {
        "model": {"file": model_path.name},
        "ours": ours,
        "served_model_check_max_abs": check,
        "calibration": calibrate(held),
        "detection": detection_rate(dataset),
        "no_face_set": no_face_check(dataset, all_variants=all_no_face_variants),
        "trials": trials(embedded, dataset, seed),
    }
    extra: dict[str, NDArray[np.bool_]] = {}
    if reference:
        started = time.perf_counter()
        ref = run_reference(dataset.images_dir, keys, workers=reference_workers)
        log(f"dlib's pipeline on {len(keys)} images in {time.perf_counter() - started:.0f} s")
        vectors = dict(zip(ref.keys, ref.descriptors, strict=True))
        results["reference"] = {
            **verification(held_for(vectors, dataset, seed)),
            "hog_missed_images": int((~ref.hog_found).sum()),
            "centre_box": list(ref.centre_box),
        }
        hard = reference_missed(dataset, dict(zip(ref.keys, ref.hog_found.tolist(), strict=True)))
        extra["dlib's HOG found no face (either photo)"] = hard
        chips = [
            dataset.crops.subset([k]).pixels[0]
            for k in keys
            if embedded.served[k][0] == embedded.served[k][0]
        ][:3]
        results["timing"] = timing(model, chips, lambda: descriptor_ms(chips, repeats=1))
    thresholds = {int(r["fold"]) - 1: float(r["threshold"]) for r in ours["folds"]}
    results["slices"] = protocol.slice_results(
        [held], thresholds, dataset.crops, missed="no face found (either photo)", extra=extra
    )
    return results
