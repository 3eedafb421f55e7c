"""What every CDK app here does with its context: one frozen pydantic model per app, validated
once, with one error that names each bad key. Shared by infra/config.py and infra/ci/config.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from infra.names import valid_stage

REGION: Final = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d")


class ConfigError(ValueError):
    """The CDK context does not describe a valid deployment; the message names each bad key."""


class ContextModel(BaseModel):
    """Field `x_y` is context key `xY` (`-c xY=value`); `-c key=` means "not given"."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        protected_namespaces=(),
    )

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """`-c key=` on the command line means "not given", like leaving the key out."""
        return None if value == "" else value


def checked_stage(value: str) -> str:
    """A stage name (infra/names.py), or ValueError."""
    if not valid_stage(value):
        raise ValueError("lower-case letters, digits and inner '-', at most 20 characters")
    return value


def checked_region(value: str) -> str:
    """An AWS region name, or ValueError."""
    if not REGION.fullmatch(value):
        raise ValueError("not an AWS region name (e.g. us-east-1)")
    return value


Model = TypeVar("Model", bound=ContextModel)


def context_keys(model: type[ContextModel]) -> tuple[str, ...]:
    """The CDK context keys a model reads."""
    return tuple(field.alias or name for name, field in model.model_fields.items())


def validate_context(model: type[Model], get: Callable[[str], Any]) -> Model:
    """Build the model from a context getter (`app.node.try_get_context`); unset keys keep defaults."""
    raw = {key: value for key in context_keys(model) if (value := get(key)) is not None}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}: {message}" if where else message)
        raise ConfigError("invalid CDK context: " + "; ".join(problems)) from exc
