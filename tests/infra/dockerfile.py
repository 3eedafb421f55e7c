"""A Dockerfile's stages as dockerfile-parse reads it, for the tests that check what our images run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser


@dataclass
class Stage:
    """One FROM ... stage: its base image, name, (keyword, arguments) instructions and final ENV."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)

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
        """ENV values in effect at the stage's end, unexpanded (`${PATH}` stays as written)."""
        return dict(self.environment)


def read_stages(path: Path) -> list[Stage]:
    """The Dockerfile's stages in order, comments dropped."""
    parser = DockerfileParser(str(path), cache_content=True, env_replace=False)
    stages: list[Stage] = []
    for item, context in zip(parser.structure, parser.context_structure, strict=True):
        keyword, value = item["instruction"], item["value"]
        if keyword == "FROM":
            words = [w for w in value.split() if not w.startswith("--")]
            named = len(words) == 3 and words[1].upper() == "AS"
            stages.append(Stage(base=words[0], name=words[2] if named else None))
        elif keyword != "COMMENT" and stages:
            stages[-1].instructions.append((keyword, value))
            stages[-1].environment = dict(context.envs)
    return stages
