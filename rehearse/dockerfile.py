"""A small Dockerfile reader: instructions, stages, CMD, ENV, without a Docker engine (tests, rehearsal)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    """One FROM ... stage: its base image, name and (keyword, arguments) instructions."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        """Arguments of every instruction with this keyword, in order."""
        return [args for kw, args in self.instructions if kw == keyword]

    def exec_form(self, keyword: str) -> list[str]:
        """The last CMD/ENTRYPOINT as an exec-form list (shell form is refused: no signals)."""
        (*_, last) = self.args(keyword)
        value = json.loads(last)
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"{keyword} is not an exec-form list of strings: {last}")
        return value

    def env(self) -> dict[str, str]:
        """ENV values in order; a later ENV overrides an earlier one (values left unexpanded)."""
        found: dict[str, str] = {}
        for args in self.args("ENV"):
            for word in shlex.split(args, posix=True):
                name, sep, value = word.partition("=")
                if not sep:
                    raise ValueError(f"legacy `ENV name value` form in {args!r}")
                found[name] = value
        return found


def read_instructions(path: Path) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) pairs with line continuations joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        raise ValueError(f"{path} ends inside a continued line")
    result = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def read_stages(path: Path) -> list[Stage]:
    """The Dockerfile's stages in order (instructions before the first FROM must be ARGs)."""
    stages: list[Stage] = []
    for keyword, args in read_instructions(path):
        if keyword == "FROM":
            match = re.fullmatch(
                r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE
            )
            if not match:
                raise ValueError(f"unreadable FROM line: {args}")
            stages.append(Stage(base=match.group(1), name=match.group(2)))
        elif stages:
            stages[-1].instructions.append((keyword, args))
        else:
            if keyword != "ARG":
                raise ValueError(f"{keyword} before the first FROM")
    return stages
