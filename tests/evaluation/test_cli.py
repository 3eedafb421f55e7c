"""The results and logs name paths relative to the repository, so committed reports hold no machine path."""

from __future__ import annotations

import re
from pathlib import Path

from evaluation.cli import repo_path
from service.paths import LFW_DIR, REPO_ROOT

ABSOLUTE = re.compile(r"(?<![\w.+])/[\w.-]+/")  # /srv/..., /home/...: not "+/-" nor "a/b"


def test_paths_in_the_repository_or_beside_it_are_written_relative_to_it() -> None:
    assert repo_path(REPO_ROOT / "docs" / "model_eval_resnet.json") == "docs/model_eval_resnet.json"
    assert repo_path(LFW_DIR) == "../shared/data/lfw"
    assert repo_path(Path("/elsewhere/eval.json")) == "/elsewhere/eval.json"  # not committed


def test_the_committed_evaluation_names_no_absolute_path() -> None:
    text = (REPO_ROOT / "reports" / "evaluation" / "model_eval_resnet.json").read_text()
    log = (REPO_ROOT / "reports" / "evaluation" / "model_eval_resnet.log").read_text()
    assert '"path": "../shared/data/lfw"' in text
    assert ABSOLUTE.search(text + log) is None
