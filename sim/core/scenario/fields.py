"""Field types for pydantic models: each checks a value against a schema domain and says what is allowed."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator
from pydantic_core import PydanticCustomError

from sim.core import schema
from sim.core.schema import Domain

__all__ = [
    "DATE_ALLOWED",
    "IDENTIFIER",
    "NAME",
    "DateText",
    "Discount",
    "NonNegative",
    "Positive",
    "Real",
    "Risk",
    "Rounds",
    "Seed",
    "SourceEntry",
    "Strict",
    "StrictBool",
    "Text",
    "UnitInterval",
    "Walkout",
    "number_field",
    "parse_date",
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


DATE_ALLOWED = 'a date written as text, "YYYY-MM-DD"'
SOURCE_ALLOWED = 'a string or a table { name = "...", date = "YYYY-MM-DD" } (date optional)'


def parse_date(value: Any) -> datetime.date | None:
    """The date of a ``"YYYY-MM-DD"`` string, or None if the value is not one."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _not_allowed(allowed: str, value: Any, prefix: str = "") -> PydanticCustomError:
    context = {"allowed": allowed, "got": repr(value)}
    return PydanticCustomError("allowed", prefix + "must be {allowed}; got {got}", context)


def _date(value: Any) -> str:
    if parse_date(value) is None:
        raise _not_allowed(DATE_ALLOWED, value)
    return value


def _source(value: Any) -> str | dict[str, str]:
    """A source: a plain string (undated), or ``{name, date}`` (date optional, as text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("name"), str) and set(value) <= {"name", "date"}:
        if "date" in value and parse_date(value["date"]) is None:
            raise _not_allowed(DATE_ALLOWED, value["date"], "date ")
        return dict(value)
    raise _not_allowed(SOURCE_ALLOWED, value)


DateText = Annotated[str, PlainValidator(_date)]
"""A calendar date written ``"YYYY-MM-DD"`` (a TOML date literal is refused, so the file hashes as JSON)."""
SourceEntry = Annotated[str | dict[str, str], PlainValidator(_source)]
"""A scenario source: a plain string (undated) or ``{ name = "...", date = "YYYY-MM-DD" }``."""

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
