"""docs/SETTINGS.md's table is the Settings class, regenerated: one owner for every setting."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field

from service.config import Settings
from service.paths import REPO_ROOT
from service.settings_doc import PAGE, render, settings_table


def row_of(table: str, variable: str) -> list[str]:
    """The cells of one variable's row."""
    line = next(line for line in table.splitlines() if line.startswith(f"| `{variable}` |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_committed_table_is_the_settings_class() -> None:
    text = PAGE.read_text()
    assert render(text) == text, "run .venv/bin/python scripts/settings_doc.py and commit the page"


def test_a_setting_added_to_the_class_changes_the_page() -> None:
    class WithOneMore(Settings):
        shiny_new_limit: int = Field(3, ge=2, description="a setting nobody documented by hand")

    regenerated = render(PAGE.read_text(), WithOneMore)
    assert regenerated != PAGE.read_text()
    assert row_of(regenerated, "SHINY_NEW_LIMIT") == [
        "`SHINY_NEW_LIMIT`",
        "`3`",
        "≥ 2",
        "a setting nobody documented by hand",
    ]


def test_every_setting_says_what_it_is_for() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_defaults_in_the_repository_are_shown_relative_to_it() -> None:
    table = settings_table()
    assert str(REPO_ROOT) not in table
    assert row_of(table, "MODEL_CACHE_DIR")[1] == "`.cache/models`"
    assert row_of(table, "MAX_REQUEST_BYTES")[1] == "`33554432` (32 MiB)"
    assert row_of(table, "DOCS_ENABLED")[1] == "`true`"
    assert row_of(table, "API_KEYS")[1] == "(empty)"


def test_choices_and_bounds_come_from_the_field() -> None:
    class Choosy(Settings):
        colour: Literal["red", "blue"] | None = Field(None, description="x")

    table = settings_table(Choosy)
    assert row_of(table, "PORT")[2] == "≥ 1, ≤ 65535"
    assert row_of(table, "GRACEFUL_TIMEOUT")[2] == "> 0"
    assert row_of(table, "COLOUR")[1:3] == ["(unset)", "`red`, `blue`"]
    assert row_of(table, "LOG_LEVEL")[2].startswith("`debug`, `info`")


def test_a_page_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="settings:table"):
        render("# Settings\n\nno table here\n")
