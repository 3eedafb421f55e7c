"""Where the repository and the data beside it live: the one definition every module and tool imports."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# ../shared/data beside the checkout (README: data is never committed).
LFW_DIR = REPO_ROOT.parent / "shared" / "data" / "lfw"
# The example kinds' data sets (digits, census, banknotes), beside LFW.
EXAMPLES_DIR = REPO_ROOT.parent / "shared" / "data" / "examples"


def repo_relative(path: Path) -> str:
    """A path as committed files name it: relative to the repository when inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_ROOT) if resolved.is_relative_to(REPO_ROOT) else path)
