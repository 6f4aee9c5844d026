"""Field types for pydantic models: each checks a value against a schema domain and says what is allowed.

Types are strict: a number is an int or a float (never a boolean or a
string), a flag is ``true`` or ``false`` (never ``1`` or ``"yes"``), a text is
a string without control characters and no longer than its bound. Each type
carries its :class:`~sim.core.schema.Domain` (or :class:`Allowed`) in its
metadata, so that a message about a missing field can say what is allowed
(:func:`allowed_of`).
"""

from __future__ import annotations

import datetime
import re
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator
from pydantic_core import PydanticCustomError

from sim.core import schema
from sim.core.schema import Domain

__all__ = [
    "DATE_ALLOWED",
    "IDENTIFIER",
    "NAME",
    "DateText",
    "Allowed",
    "Bias",
    "Capability",
    "Coordinate",
    "Curvature",
    "Discount",
    "Drift",
    "Flag",
    "Identifier",
    "Name",
    "Noise",
    "NonNegative",
    "Positive",
    "Real",
    "Risk",
    "Rounds",
    "Seed",
    "SourceEntry",
    "Round",
    "Rounds",
    "Seed",
    "Size",
    "Sensitivity",
    "SourceText",
    "Steepness",
    "Step",
    "Strict",
    "StrictBool",
    "Text",
    "UnitInterval",
    "Walkout",
    "allowed_of",
    "bounded",
    "is_identifier",
    "is_name",
    "number_field",
    "parse_date",
    "text_field",
]

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
"""Party, issue and coalition ids (``\\Z``, not ``$``: a trailing newline does not match)."""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
"""Scenario and experiment names: they name folders, so no slashes, spaces or newlines."""


def is_identifier(text: Any) -> bool:
    """Whether ``text`` is an identifier no longer than the names' bound."""
    return isinstance(text, str) and len(text) <= schema.limit("name_chars").value and bool(IDENTIFIER.match(text))


def is_name(text: Any) -> bool:
    """Whether ``text`` is a name (letters, digits, ``-``, ``_``, ``.``) no longer than the names' bound."""
    return isinstance(text, str) and len(text) <= schema.limit("name_chars").value and bool(NAME.match(text))


@dataclass(frozen=True)
class Allowed:
    """What a field allows, in words (field metadata for messages)."""

    allowed: str


def _fail(allowed: str, value: Any) -> PydanticCustomError:
    return PydanticCustomError(
        "allowed", "must be {allowed}; got {got}", {"allowed": allowed, "got": schema.shown(value)}
    )


def number_field(domain: Domain) -> Any:
    """An annotated number type that accepts the values of ``domain`` and names it in its error."""

    def check(value: Any) -> float | int:
        if not domain.contains(value):
            raise _fail(domain.allowed, value)
        return int(value) if domain.integer else float(value)

    return Annotated[int if domain.integer else float, PlainValidator(check), domain]


def text_field(allowed: str = "a string", chars: str = "text_chars") -> Any:
    """An annotated string type: no control characters, at most the bound ``chars`` of :data:`schema.LIMITS`."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _fail(allowed, value)
        return _bounded_text(value, chars)

    return Annotated[str, PlainValidator(check), Allowed(allowed)]


def _bounded_text(value: str, chars: str) -> str:
    """``value`` if it has at most the bound ``chars`` of characters and no control characters."""
    bound = schema.limit(chars)
    if len(value) > bound.value:
        raise PydanticCustomError("allowed", "{message}", {"message": bound.message(f"{len(value):,} characters")})
    if schema.control_characters(value):
        raise PydanticCustomError(
            "allowed",
            "must not hold control characters (newlines, tabs, escapes); got {got}",
            {"got": schema.shown(value)},
        )
    return value


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail("true or false", value)
    return value


Flag = Annotated[bool, PlainValidator(_strict_bool), Allowed("true or false")]
"""A boolean: ``true`` or ``false`` only."""


def bounded(tp: Any, key: str) -> Any:
    """A list or table type with at most the bound ``key`` of :data:`schema.LIMITS` items."""
    return Annotated[tp, Field(max_length=schema.limit(key).value)]


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
        return _bounded_text(value, "source_chars")
    if isinstance(value, dict) and isinstance(value.get("name"), str) and set(value) <= {"name", "date"}:
        _bounded_text(value["name"], "source_chars")
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
Round = number_field(schema.ROUND)
Seed = number_field(schema.SEED)
Coordinate = number_field(schema.COORDINATE)
Drift = number_field(schema.DRIFT)
Capability = number_field(schema.CAPABILITY)
Bias = number_field(schema.BIAS)
Noise = number_field(schema.NOISE)
Curvature = number_field(schema.CURVATURE)
Steepness = number_field(schema.STEEPNESS)
Size = number_field(schema.SIZE)
Step = number_field(schema.STEP)
Text = text_field()
SourceText = text_field("a string", "source_chars")
Name = text_field("a name of letters, digits, '-', '_' or '.'", "name_chars")
Identifier = text_field("an id (letters, digits, _)", "name_chars")


def allowed_of(annotation: Any) -> str | None:
    """What a field type allows, in words, from its metadata (None when it does not say)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        for item in meta:
            if isinstance(item, Domain | Allowed):
                return item.allowed
        return allowed_of(base)
    if origin in (typing.Union, __import__("types").UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return allowed_of(args[0]) if len(args) == 1 else None
    if origin is list:
        return "a list"
    if origin is dict or isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a table"
    return None


Risk = number_field(schema.RISK)
Walkout = number_field(schema.WALKOUT)
Sensitivity = number_field(schema.SENSITIVITY)
StrictBool = Flag
"""true or false, never 1 or "yes" (the same type as :data:`Flag`)."""


class Strict(BaseModel):
    """A pydantic model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid")
