"""Field types for pydantic models: each checks a value against a schema domain and says what is allowed."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator
from pydantic_core import PydanticCustomError

from sim.core import schema
from sim.core.schema import Domain

__all__ = [
    "IDENTIFIER",
    "NAME",
    "Discount",
    "NonNegative",
    "Positive",
    "Real",
    "Risk",
    "Rounds",
    "Seed",
    "Strict",
    "StrictBool",
    "Text",
    "UnitInterval",
    "Walkout",
    "number_field",
    "text_field",
]

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""Scenario and experiment names: they name folders, so no slashes or spaces."""


def number_field(domain: Domain) -> Any:
    """An annotated number type that accepts the values of ``domain`` and names it in its error."""

    def check(value: Any) -> float | int:
        if not domain.contains(value):
            raise PydanticCustomError(
                "allowed", "must be {allowed}; got {got}", {"allowed": domain.allowed, "got": repr(value)}
            )
        return int(value) if domain.integer else float(value)

    return Annotated[int if domain.integer else float, PlainValidator(check)]


def text_field(allowed: str = "a string") -> Any:
    """An annotated string type whose error names what is allowed."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError(
                "allowed", "must be {allowed}; got {got}", {"allowed": allowed, "got": repr(value)}
            )
        return value

    return Annotated[str, PlainValidator(check)]


Real = number_field(schema.REAL)
NonNegative = number_field(schema.NON_NEGATIVE)
Positive = number_field(schema.POSITIVE)
UnitInterval = number_field(schema.UNIT)
Discount = number_field(schema.DISCOUNT)
Rounds = number_field(schema.ROUNDS)
Seed = number_field(schema.SEED)
Text = text_field()
Risk = number_field(schema.RISK)
Walkout = number_field(schema.WALKOUT)


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise PydanticCustomError(
            "allowed", "must be {allowed}; got {got}", {"allowed": "true or false", "got": repr(value)}
        )
    return value


StrictBool = Annotated[bool, PlainValidator(_strict_bool)]
"""true or false, never 1 or "yes"."""


class Strict(BaseModel):
    """A pydantic model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid")
