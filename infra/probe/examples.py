"""The kind's own example requests: what a release check sends to each route.

The one place that knows what a model is asked. scripts/smoke.py, the pre-traffic hook and the
bundle it ships read it. Any face model is asked about the sample faces (keyed by kind); a
classifier's examples fit one model's labels or features, so they are keyed by the model's name. A
model without an entry fails the check with a message saying to add one here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final


@dataclass(frozen=True)
class ExampleRequest:
    """One authenticated request: a route, its JSON body and the answer due.

    The body is either image files (each field its file, base64-encoded) or table rows: a rows file
    as `make examples` writes it (tests/data/examples/<model>-rows.json: each row with the label the
    model gives it), sent as {"rows": [...]}, each prediction's label due in order.
    """

    path: str
    files: Mapping[str, str] = field(default_factory=dict)  # body field -> example file name
    expect: Mapping[str, object] = field(default_factory=dict)  # top-level fields due
    rows_file: str | None = None

    def body(self, folder: Path) -> bytes:
        """The JSON body."""
        if self.rows_file is not None:
            return json.dumps({"rows": [r["row"] for r in self._rows(folder)]}).encode()
        return json.dumps(
            {
                name: base64.b64encode((folder / file).read_bytes()).decode()
                for name, file in self.files.items()
            }
        ).encode()

    def due(self, folder: Path) -> Mapping[str, object]:
        """The top-level fields the answer must hold (the rows' labels, for a rows file)."""
        if self.rows_file is not None:
            return {"labels": [r["label"] for r in self._rows(folder)]}
        return self.expect

    def mismatch(self, answer: object, folder: Path) -> str | None:
        """What in the answer differs from what is due; None when it is all there."""
        if not isinstance(answer, dict):
            return "the answer is not a JSON object"
        due = self.due(folder)
        if self.rows_file is not None:
            got = [p.get("label") for p in answer.get("predictions") or [] if isinstance(p, dict)]
            return None if got == due["labels"] else f"labels {got!r} (due {due['labels']!r})"
        wrong = [f"{k}={answer.get(k)!r} (due {v!r})" for k, v in due.items() if answer.get(k) != v]
        return ", ".join(wrong) or None

    def _rows(self, folder: Path) -> list[dict[str, object]]:
        """The rows file's rows: {"row": {feature: value}, "label": ...}."""
        assert self.rows_file is not None
        rows: list[dict[str, object]] = json.loads((folder / self.rows_file).read_text())["rows"]
        return rows


@dataclass(frozen=True)
class KindExamples:
    """A kind's example files (in the repository) and one request per route."""

    source: str  # folder of the files, relative to the repository root
    requests: tuple[ExampleRequest, ...]

    @property
    def file_names(self) -> set[str]:
        """Every file the requests send."""
        rows = {r.rows_file for r in self.requests if r.rows_file is not None}
        return rows | {file for request in self.requests for file in request.files.values()}


# tests/data/faces: a1/a2 are one person, b1 another (tests/data/README.md).
EXAMPLES: Final[Mapping[str, KindExamples]] = {
    "face-similarity": KindExamples(
        source="tests/data/faces",
        requests=(
            ExampleRequest(
                path="/predict",
                files={"anchor": "a1.jpg", "img1": "a2.jpg", "img2": "b1.jpg"},
                expect={"most_similar": "img1"},
            ),
            ExampleRequest(
                path="/verify",
                files={"img1": "a1.jpg", "img2": "a2.jpg"},
                expect={"same_person": True},
            ),
        ),
    ),
}

# tests/data/examples (make examples writes them; tests/data/examples/README.md says what each is).
MODEL_EXAMPLES: Final[Mapping[str, KindExamples]] = {
    "digits-cnn": KindExamples(
        source="tests/data/examples",
        requests=(
            ExampleRequest(
                path="/predict", files={"image": "digit-paper-7.jpg"}, expect={"label": "7"}
            ),
        ),
    ),
    "census-income": KindExamples(
        source="tests/data/examples",
        requests=(ExampleRequest(path="/predict", rows_file="census-income-rows.json"),),
    ),
    "banknote-authentication": KindExamples(
        source="tests/data/examples",
        requests=(ExampleRequest(path="/predict", rows_file="banknote-authentication-rows.json"),),
    ),
}


def examples_for(kind: str, model: str | None = None) -> KindExamples:
    """The model's examples, else its kind's; none is a configuration error, said as such."""
    if model is not None and model in MODEL_EXAMPLES:
        return MODEL_EXAMPLES[model]
    try:
        return EXAMPLES[kind]
    except KeyError:
        raise ValueError(
            f"no example requests for model {model or '(unnamed)'} of kind {kind!r}: add a "
            f"file to tests/data/examples and an entry to MODEL_EXAMPLES in {__name__}"
        ) from None
