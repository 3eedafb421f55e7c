"""The kind's own example requests: what a release check sends to each route, keyed by `kind`.

The one place that knows what a model kind is asked. scripts/smoke.py, the pre-traffic hook and
the bundle it ships read it; a new kind adds its entry here (its files, one request per route and
what the answer must say) and every release check sends that kind's requests.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final


@dataclass(frozen=True)
class ExampleRequest:
    """One authenticated request: a route, its JSON body (files as base64) and the answer due."""

    path: str
    files: Mapping[str, str]  # body field -> example file name
    expect: Mapping[str, object]  # top-level fields the JSON answer must hold, with these values

    def body(self, folder: Path) -> bytes:
        """The JSON body: each field is its example file, base64-encoded."""
        return json.dumps(
            {
                name: base64.b64encode((folder / file).read_bytes()).decode()
                for name, file in self.files.items()
            }
        ).encode()

    def mismatch(self, answer: object) -> str | None:
        """What in the answer differs from what is due; None when it is all there."""
        if not isinstance(answer, dict):
            return "the answer is not a JSON object"
        wrong = [
            f"{k}={answer.get(k)!r} (due {v!r})"
            for k, v in self.expect.items()
            if answer.get(k) != v
        ]
        return ", ".join(wrong) or None


@dataclass(frozen=True)
class KindExamples:
    """A kind's example files (in the repository) and one request per route."""

    source: str  # folder of the files, relative to the repository root
    requests: tuple[ExampleRequest, ...]

    @property
    def file_names(self) -> set[str]:
        """Every file the requests send."""
        return {file for request in self.requests for file in request.files.values()}


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
    # The lead adds "image-classification" and "tabular-classification" here (KINDS_PLAN.md).
}


def examples_for(kind: str) -> KindExamples:
    """The kind's examples; a kind without any is a configuration error, said as such."""
    try:
        return EXAMPLES[kind]
    except KeyError:
        raise ValueError(
            f"no example requests for model kind {kind!r}: add them to {__name__}"
        ) from None
