"""Where the repository and the data beside it live: the one definition every module and tool imports."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout: the data sets live there (README: data is never committed).
SHARED_DIR = REPO_ROOT.parent / "shared"
LFW_DIR = SHARED_DIR / "data" / "lfw"
# The example kinds' data sets (digits, census, banknotes), beside LFW.
EXAMPLES_DIR = SHARED_DIR / "data" / "examples"
# The official deep-funneled tarball, as LFW's README names it (read in place, or extracted once).
LFW_ARCHIVE = LFW_DIR / "lfw-deepfunneled.tgz"
# The handful of committed sample faces (attribution beside them): tests, the page, the README's example.
SAMPLE_FACES = REPO_ROOT / "tests" / "data" / "faces"


def repo_relative(path: Path) -> str:
    """A path as committed files name it: relative to the repository when inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_ROOT) if resolved.is_relative_to(REPO_ROOT) else path)
