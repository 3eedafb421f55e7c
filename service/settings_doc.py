"""The settings table of docs/SETTINGS.md, generated from the Settings class so the two cannot disagree.

The table lives between `<!-- settings:table -->` and `<!-- /settings:table -->`; `update` replaces what
is between them and nothing else. Defaults under the repository are shown relative to it, so the page is
the same on every machine.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from service.config import MIB, Settings
from service.paths import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "SETTINGS.md"
BLOCK = re.compile(r"(<!-- settings:table -->\n).*?(<!-- /settings:table -->)", re.S)
# Attributes of pydantic's bound constraints (annotated_types.Ge, Gt, Le, Lt) and how a reader writes them.
BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))


def env_name(settings: type[BaseSettings], name: str, field: FieldInfo) -> str:
    """The environment variable a field is read from (its alias, else prefix + name, upper-case)."""
    if isinstance(field.validation_alias, str):
        return field.validation_alias.upper()
    if field.alias:
        return field.alias.upper()
    return f"{settings.model_config.get('env_prefix', '')}{name}".upper()


def shown_default(value: object) -> str:
    """A default as a reader would type it: paths relative to the repository, sizes in MiB too."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str | Path) and Path(value).is_absolute():
        path = Path(value)
        if path.is_relative_to(REPO_ROOT):
            return f"`{path.relative_to(REPO_ROOT).as_posix()}`"
        return f"`{path.as_posix()}`"
    if value == "":
        return "(empty)"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, int) and value >= MIB and value % MIB == 0:
        return f"`{value}` ({value // MIB} MiB)"
    return f"`{value}`"


def allowed_values(field: FieldInfo) -> str:
    """The choices of a Literal, or the bounds the field validates."""
    union = typing.get_args(field.annotation) if typing.get_origin(field.annotation) else ()
    parts = union if typing.get_origin(field.annotation) is not typing.Literal else ()
    literals = [p for p in (*parts, field.annotation) if typing.get_origin(p) is typing.Literal]
    choices = [choice for literal in literals for choice in typing.get_args(literal)]
    if choices:
        return ", ".join(f"`{choice}`" for choice in choices)
    bounds = []
    for constraint in field.metadata:
        bounds += [
            f"{sign} {getattr(constraint, attribute)}"
            for attribute, sign in BOUNDS
            if hasattr(constraint, attribute)
        ]
        if getattr(constraint, "min_length", 0):
            bounds.append("not empty")
    return ", ".join(bounds)


def settings_table(settings: type[BaseSettings] = Settings) -> str:
    """The Markdown table: variable, default, allowed values, meaning, in the class's order."""
    rows = ["| variable | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    for name, field in settings.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(
            f"| `{env_name(settings, name, field)}` | {shown_default(field.get_default())} "
            f"| {allowed_values(field)} | {meaning} |"
        )
    return "\n".join(rows)


def render(page_text: str, settings: type[BaseSettings] = Settings) -> str:
    """The page with its settings table regenerated; a page without the markers is an error."""
    if not BLOCK.search(page_text):
        raise ValueError(
            "no <!-- settings:table --> ... <!-- /settings:table --> block in the page"
        )
    return BLOCK.sub(lambda m: f"{m[1]}{settings_table(settings)}\n{m[2]}", page_text)


def update(page: Path = PAGE) -> bool:
    """Rewrite the page's table; True when it changed."""
    before = page.read_text()
    after = render(before)
    page.write_text(after)
    return after != before
