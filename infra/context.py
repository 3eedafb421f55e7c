"""What every CDK app here does with its context: one frozen pydantic model per app, validated
once, with one error that names each bad key. Shared by infra/config.py and infra/ci/config.py."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

from constructs import IConstruct
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


def is_cdk_key(key: str) -> bool:
    """CDK's own context: feature flags (`@aws-cdk/...`), `aws:cdk:...` and lookup results."""
    return key.startswith("@") or ":" in key


def given_keys(scope: IConstruct) -> list[str]:
    """Every context key handed to the app: cdk.json, cdk.context.json and `-c` on the command line."""
    return [str(key) for key in dict(scope.node.get_all_context())]


def unknown_keys(model: type[ContextModel], given: Iterable[str]) -> list[str]:
    """One sentence per given key the app does not read, naming the nearest key it does read.

    A misspelled key (`-c domianName=...`) would otherwise be ignored in silence and the stack
    deployed without what it asked for.
    """
    known = context_keys(model)
    by_lower = {key.lower(): key for key in known}
    problems = []
    for key in sorted(set(given)):
        if key in known or is_cdk_key(key):
            continue
        # Case-blind, and always a suggestion: the closest known key, however far.
        nearest = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.0)
        hint = f" (did you mean {by_lower[nearest[0]]}?)" if nearest else ""
        problems.append(f"{key}: not a context key of this app{hint}")
    return problems


def validate_context(
    model: type[Model], get: Callable[[str], Any], given: Iterable[str] = ()
) -> Model:
    """Build the model from a context getter (`app.node.try_get_context`); unset keys keep defaults.

    `given` is every key the app was handed (`app.node.get_all_context()`): an unknown one is
    refused, with the nearest known key.
    """
    unknown = unknown_keys(model, given)
    if unknown:
        raise ConfigError("invalid CDK context: " + "; ".join(unknown))
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
