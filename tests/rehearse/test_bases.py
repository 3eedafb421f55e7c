"""Stand-in base images: which FROM names need one, which have a Debian recipe, what their key covers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rehearse import bases
from rehearse.engine import Engine


@pytest.mark.parametrize(
    "name", ["python:3.12-slim-bookworm", "alpine:3.20", "nvidia/cuda:12.4.1-runtime-ubuntu22.04"]
)
def test_bases_without_a_debian_recipe_are_refused_with_the_reason(
    name: str, tmp_path: Path
) -> None:
    with pytest.raises(bases.NoStandIn, match=name.split(":")[0]):
        bases.ensure_base(Engine(tmp_path), name, logs=tmp_path)


def test_the_key_follows_the_recipe_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "standin"
    copy.mkdir()
    for source in bases.STANDIN_DIR.iterdir():
        (copy / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(bases, "STANDIN_DIR", copy)
    debian, python = bases.debian_key("bookworm"), bases.python_key("bookworm")
    assert debian != bases.debian_key("trixie")
    (copy / "python.Containerfile").write_text("FROM x\n")
    assert (bases.debian_key("bookworm"), bases.python_key("bookworm") != python) == (debian, True)
    (copy / "dpkg-slim.cfg").write_text("path-exclude /usr/share/doc/*\n")
    assert bases.debian_key("bookworm") != debian


def test_base_images_are_the_from_lines_that_are_not_stages(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM python:3.11-slim-bookworm AS build\nRUN true\n"
        "FROM build AS test\nFROM debian:bookworm-slim\nCOPY --from=build /x /x\n"
    )
    assert bases.base_images(dockerfile) == ["python:3.11-slim-bookworm", "debian:bookworm-slim"]
