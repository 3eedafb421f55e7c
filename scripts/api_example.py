"""Write the /predict example of docs/API.md and README.md from the service's real answer.

Runs the app in-process on the bundled model with the README's curl request (a2 as the anchor, b1 and
a1 as the candidates) and replaces the example between the markers; tests/service/test_real_model.py
checks that the committed example is still what the service answers.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.config import Settings
from service.main import create_app
from service.paths import REPO_ROOT as REPO
from service.paths import SAMPLE_FACES as FACES
from tests.conftest import wait_ready

REQUEST = {"anchor": "a2.jpg", "img1": "b1.jpg", "img2": "a1.jpg"}
API_DOC = REPO / "docs" / "API.md"
README = REPO / "README.md"
BLOCK = re.compile(
    r"(<!-- EXAMPLE:PREDICT -->\n```json\n)(.*?)(```\n<!-- /EXAMPLE:PREDICT -->)", re.S
)
README_LINE = re.compile(r"^# \{\"most_similar\".*$", re.M)


def live_answer() -> dict[str, Any]:
    """The bundled model's answer to the README's request, through the app."""
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings())) as client:
        wait_ready(client, timeout=120)
        files = {n: (f, (FACES / f).read_bytes(), "image/jpeg") for n, f in REQUEST.items()}
        response = client.post("/predict", files=files)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
    return answer


def documented(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as the docs show it: the anchor's face in full, the others elided."""
    shown = dict(answer)
    shown["faces"] = {
        "anchor": answer["faces"]["anchor"],
        "img1": {"...": "same shape"},
        "img2": {"...": "same shape"},
    }
    return shown


def one_line(answer: dict[str, Any]) -> str:
    """The README's comment line under the curl command."""
    s = answer["scores"]
    return (
        f'# {{"most_similar":"{answer["most_similar"]}","scores":{{"img1":{{"distance":'
        f'{s["img1"]["distance"]:.3f},"same_person":{str(s["img1"]["same_person"]).lower()},'
        f'"probability":{s["img1"]["probability"]:.3f}}},"img2":{{"distance":{s["img2"]["distance"]:.3f},'
        f'"same_person":{str(s["img2"]["same_person"]).lower()},"probability":'
        f"{s['img2']['probability']:.3f}}}}},...}}"
    )


def main() -> None:
    """Regenerate both examples."""
    answer = live_answer()
    text = API_DOC.read_text()
    if not BLOCK.search(text):
        sys.exit(f"{API_DOC} has no <!-- EXAMPLE:PREDICT --> block")
    block = json.dumps(documented(answer), indent=2) + "\n"
    # Each landmark [x, y] on one line.
    block = re.sub(r"\[\s+(-?\d+),\s+(-?\d+)\s+\]", r"[\1, \2]", block)
    API_DOC.write_text(BLOCK.sub(lambda m: m.group(1) + block + m.group(3), text))
    readme = README.read_text()
    README.write_text(README_LINE.sub(one_line(answer).replace("\\", "\\\\"), readme, count=1))
    print(f"wrote the example into {API_DOC.name} and {README.name}")


if __name__ == "__main__":
    main()
