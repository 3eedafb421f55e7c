"""Where the repository, LFW and the sample faces are is said once, in service/paths.py: a module that
worked it out again would go wrong alone when the layout changes."""

from __future__ import annotations

import re
from pathlib import Path

from service.paths import REPO_ROOT
from tests.test_repo_paths import tracked_text_files

OWNER = "service/paths.py"
# Path(__file__)[.resolve()] then .parent... or .parents[N]: a folder found from the file's own place.
FROM_FILE = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?((?:\.parent\b)+|\.parents\[(\d+)\])")
# What only the owner names: the shared data folder beside the checkout, the LFW tarball and the
# sample faces' folder.
NAMED = re.compile(
    r'parent\s*/\s*"shared"|lfw-deepfunneled\.tgz|"tests"\s*/\s*"data"\s*/\s*"faces"'
)


def reached(relative: str, match: re.Match[str]) -> Path:
    """The folder a FROM_FILE expression in this file points at."""
    depth = int(match[2]) + 1 if match[2] is not None else match[1].count(".parent")
    return (REPO_ROOT / relative).parents[depth - 1]


def offenders(relative: str, text: str) -> list[str]:
    """The lines of one file that work out the repository root or name the owner's paths."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        # A script must find the repository before it can import service.paths at all.
        if "sys.path.insert" in line:
            continue
        roots = [m for m in FROM_FILE.finditer(line) if reached(relative, m) == REPO_ROOT]
        if roots or NAMED.search(line):
            found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_only_service_paths_locates_the_repository_lfw_and_the_sample_faces() -> None:
    found = [
        line
        for relative, text in tracked_text_files()
        if relative.endswith(".py") and relative not in (OWNER, "tests/test_paths_defined_once.py")
        for line in offenders(relative, text)
    ]
    assert not found, "import them from service.paths instead:\n" + "\n".join(found)


def test_a_module_working_out_the_root_again_is_caught() -> None:
    copy = 'REPO = Path(__file__).resolve().parents[1]\nDATA = Path(__file__).parent / "x"\n'
    assert offenders("tests/example.py", copy) == [f"tests/example.py:1: {copy.splitlines()[0]}"]
    assert offenders("bench/x.py", 'ROOT = Path(__file__).parent.parent / "models"')
    assert offenders("bench/x.py", 'A = LFW / "lfw-deepfunneled.tgz"')
    assert offenders("bench/x.py", 'DATA = REPO.parent / "shared" / "data"')
