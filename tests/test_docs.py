"""The README is the first five minutes; the reference lives in docs/, every link resolves."""

from __future__ import annotations

import re
import subprocess

from service.paths import REPO_ROOT as REPO

README = REPO / "README.md"
PAGES = sorted((REPO / "docs").rglob("*.md"))
SECTIONS = ("API", "MODEL-CONTRACT", "SETTINGS", "MODEL", "STACK", "DEPLOY", "DEVELOP")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# Besides the pages: the README's picture and the API collection users import. Results go to reports/.
DOCS_ASSETS = {
    "docs/page.png",
    "docs/postman_collection.json",
    "docs/postman_environment_stack.json",
}


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in [README, *PAGES]:
        for target in LINK.findall(page.read_text()):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []


def test_each_reference_section_is_marked_once() -> None:
    """Sections stay identifiable by their markers wherever they live."""
    text = "\n".join(p.read_text() for p in [README, *PAGES])
    for name in SECTIONS:
        assert text.count(f"<!-- SECTION:{name} -->") == 1, name
        assert text.count(f"<!-- /SECTION:{name} -->") == 1, name
        assert text.index(f"<!-- SECTION:{name} -->") < text.index(f"<!-- /SECTION:{name} -->")


def test_readme_opens_with_the_picture_prerequisites_commands_and_how_to_stop() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) < 80, "the reference belongs in docs/"
    text = "\n".join(lines)
    picture = re.search(r"!\[[^\]]+\]\((docs/[^)]+\.png)\)", text)
    assert picture and (REPO / picture.group(1)).read_bytes().startswith(b"\x89PNG")
    for needed in ("Before you start", "Ctrl-C", "/predict"):
        assert needed in text, needed
    commands = [line.split()[1] for line in lines if line.startswith("make ")]
    # `make run MODEL=...` (another model) is the same command.
    assert list(dict.fromkeys(commands)) == ["run", "test"], "the two commands, run first"


def test_docs_holds_pages_and_their_assets_not_reports() -> None:
    """Evaluation logs and bench JSON live in reports/, so docs/ stays a set of pages."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard", "docs"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    strays = [name for name in listed if not name.endswith(".md") and name not in DOCS_ASSETS]
    assert strays == [], "results belong in reports/"
