"""BentoML in the benchmark's own virtual environment (its pins clash with the service's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.paths import REPO_ROOT

VENV = REPO_ROOT / ".cache" / "bench" / "bentoml-venv"
BENTOML = "bentoml==1.4.39"  # 1.4.40 needs certifi>=2026.10.19, which PyPI did not have when pinned
# What bench/bentoml_service.py imports from the service: TensorFlow, Pillow, NumPy, OpenCV,
# dlib-bin (the 2.0 crop recipe), pydantic-settings (service.config; pydantic comes with
# BentoML). Same pins as requirements.txt.
PACKAGES = (
    BENTOML,
    "tensorflow-cpu==2.21.0",
    "pillow==13.0.0",
    "numpy<2.6",
    "opencv-python-headless==4.14.0.94",
    "dlib-bin==20.0.1.post1",
    "pydantic-settings==2.16.3",
)


def bentoml_executable(skipped: dict[str, str], log: Path, venv: Path = VENV) -> Path | None:
    """The `bentoml` of the benchmark's venv, made and installed on first use; None, and why in
    `skipped`, where it cannot be installed here."""
    stamp, executable = venv / ".bench-packages", venv / "bin" / "bentoml"
    wanted = "\n".join(PACKAGES)
    if executable.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return executable
    log.parent.mkdir(parents=True, exist_ok=True)
    for step in ([sys.executable, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *PACKAGES]):  # fmt: skip
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        with log.open("a") as out:
            out.write(f"$ {' '.join(step)}\n{done.stdout}{done.stderr}\n")
        if done.returncode != 0:
            last = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            failed = f"`{' '.join(step[:4])} ...` failed: {last}"
            skipped["bentoml"] = f"cannot install {BENTOML} here: {failed}"
            return None
    stamp.write_text(wanted)
    return executable
