"""A missing prerequisite skips a test here and fails it under CI; no test skips around needs.py."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from service.paths import LFW_ARCHIVE
from tests.support import needs

TESTS = Path(__file__).resolve().parent
# Skips that are not about a missing area: the audit needs the internet and is not in `make test`.
ALLOWED = {
    TESTS / "support" / "needs.py",
    TESTS / "test_needs.py",
    TESTS / "reliability" / "test_dependency_audit.py",
}


def lfw_copy(directory: Path, *, corrupt: bool = False) -> Path:
    directory.mkdir()
    (directory / "pairs.txt").write_text("10\t300\n")
    (directory / LFW_ARCHIVE.name).write_bytes(b"not really a tarball")
    sums = "".join(
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}\n"
        for name in (LFW_ARCHIVE.name, "pairs.txt")
    )
    (directory / "SHA256SUMS").write_text(sums)
    if corrupt:
        (directory / "pairs.txt").write_text("10\t301\n")
    return directory


def test_missing_lfw_is_a_skip_here_and_a_failure_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="LFW is not at"):
        needs.lfw(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        needs.lfw(missing)


def test_lfw_is_checked_against_its_sha256sums(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert needs.lfw(lfw_copy(tmp_path / "good")) == tmp_path / "good"
    with pytest.raises(pytest.fail.Exception, match=r"pairs\.txt does not match SHA256SUMS"):
        needs.lfw(lfw_copy(tmp_path / "bad", corrupt=True))


@pytest.mark.parametrize(
    "check",
    [
        lambda: needs.module("no_such_module_facesim"),
        lambda: needs.repo_file("NoSuchDockerfile"),
    ],
    ids=["module", "repo-file"],
)
def test_every_area_check_fails_under_ci(check, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        check()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        check()


def test_missing_tools_fail_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chromium")
    for check in (needs.npx, needs.chromium):
        with pytest.raises(pytest.fail.Exception):
            check()


def direct_skips(path: Path) -> list[str]:
    """pytest.skip(...), pytest.importorskip(...) and skipif marks written in a test file, except
    on lines marked `# skip-ok: <why>` (a check that does not apply, not a missing area)."""
    found = []
    source = path.read_text()
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or "# skip-ok:" in lines[node.lineno - 1]:
            continue
        pytest_call = isinstance(node.value, ast.Name) and node.value.id == "pytest"
        if pytest_call and node.attr in ("skip", "importorskip"):
            found.append(f"{path.relative_to(TESTS)}:{node.lineno} pytest.{node.attr}")
        if node.attr == "skipif":
            found.append(f"{path.relative_to(TESTS)}:{node.lineno} skipif")
    return found


def test_tests_skip_only_through_needs() -> None:
    """Else a missing tool or data set could hide a whole area under CI again."""
    offenders = [
        s for p in sorted(TESTS.rglob("*.py")) if p not in ALLOWED for s in direct_skips(p)
    ]
    assert offenders == []
