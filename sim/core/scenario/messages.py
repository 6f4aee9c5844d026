"""pydantic's validation errors as one-line problems: file, field path, what is allowed."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.core.errors import Problem
from sim.core.scenario.fields import allowed_of
from sim.core.scenario.spec import ScenarioSpec
from sim.core.schema import Domain, shown

__all__ = ["OPENING_RULES", "UNION_TAGS", "domain_at", "dotted", "pydantic_problems"]

_TABLE_HELP = {
    (ScenarioSpec, "scenario"): "a [scenario] table",
    (ScenarioSpec, "issues"): "at least one [issues.<id>] table",
    (ScenarioSpec, "parties"): "at least two [parties.<id>] tables",
}
"""What a missing table must be, where the field's type does not say it well enough."""

OPENING_RULES = ("compromise", "mediator")

UNION_TAGS = frozenset({"opening:name", "opening:table"})
"""Tags of discriminated unions: pydantic puts them in an error's location; they are not keys."""


def _model_for(loc: tuple, root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The model whose keys live at ``loc`` (walking the field annotations from ``root``)."""
    current: Any = root or ScenarioSpec
    for key in loc:
        current = _member(current, key)
        if current is None:
            return None
    current = _member(current, None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _member(tp: Any, key: Any) -> Any:
    """The type found under ``key`` in ``tp`` (None: ``tp`` itself, unwrapped)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = next(
                (
                    a
                    for a in args
                    if typing.get_origin(a) in (dict, list) or isinstance(a, type) and issubclass(a, BaseModel)
                ),
                args[0],
            )
        else:
            break
    if key is None:
        return tp
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field_info = tp.model_fields.get(key)
        return None if field_info is None else field_info.annotation
    if typing.get_origin(tp) is dict:
        return typing.get_args(tp)[1]
    if typing.get_origin(tp) is list:
        return typing.get_args(tp)[0]
    return None


def _domain_in(tp: Any) -> Domain | None:
    """The :class:`Domain` in a type's metadata (through ``X | None``), or None."""
    if isinstance(tp, Domain):
        return tp
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        return next((m for m in meta if isinstance(m, Domain)), None) or _domain_in(base)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _domain_in(args[0]) if len(args) == 1 else None
    return None


def domain_at(path: str, root: type[BaseModel] | None = None) -> Domain | None:
    """The allowed numbers of the field at dotted ``path`` (``issues.x.no_deal_path.1.1``), or None."""
    keys = path.split(".")
    current: Any = root or ScenarioSpec
    for key in keys[:-1]:
        current = _member(current, key)
        if current is None:
            return None
    holder = _member(current, None)
    if isinstance(holder, type) and issubclass(holder, BaseModel):
        info = holder.model_fields.get(keys[-1])
        if info is None:
            return None
        return next((m for m in info.metadata if isinstance(m, Domain)), None) or _domain_in(info.annotation)
    if typing.get_origin(holder) in (dict, list):
        return _domain_in(typing.get_args(holder)[-1])
    return None


def dotted(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def _missing(loc: tuple, root: type[BaseModel] | None) -> str:
    """``"missing; must be <what the field allows>"``."""
    model = _model_for(loc[:-1], root)
    field_info = model.model_fields.get(str(loc[-1])) if model else None
    help_ = _TABLE_HELP.get((model, str(loc[-1])))
    if help_ is None and field_info is not None:
        help_ = field_info.description or allowed_of(field_info.annotation)
        if help_ is None and field_info.metadata:
            help_ = allowed_of(typing.Annotated[field_info.annotation, *field_info.metadata])
    return f"missing; must be {help_ or 'given'}"


def pydantic_problems(source: str, error: ValidationError, root: type[BaseModel] | None = None) -> list[Problem]:
    """One problem per validation error: the field's dotted path and what it allows."""
    problems = []
    for err in error.errors():
        loc = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p in UNION_TAGS))
        )
        kind = err["type"]
        got = shown(err.get("input"))
        if kind == "allowed":
            message = err["msg"]
        elif kind == "missing":
            message = _missing(loc, root)
        elif kind == "extra_forbidden":
            model = _model_for(loc[:-1], root)
            allowed = ", ".join(model.model_fields) if model else "none"
            message = f"unknown key; allowed keys here: {allowed}"
        elif kind in ("dict_type", "model_type"):
            message = f"must be a table; got {got}"
        elif kind == "list_type":
            message = f"must be a list; got {got}"
        elif kind == "too_long":
            ctx = err.get("ctx", {})
            items = len(err["input"]) if isinstance(err.get("input"), list | dict) else ctx.get("actual_length")
            message = f"must have at most {ctx.get('max_length'):,} items; got {items:,}"
        elif kind.startswith("union"):
            message = f"must be one of {', '.join(OPENING_RULES)} or a table {{issue = value}}"
        else:
            message = f"{err['msg']}; got {got}"
        # unions report one error per member: keep the first only
        if problems and problems[-1].field == dotted(loc) and kind in ("allowed", "dict_type"):
            continue
        problems.append(Problem(source, dotted(loc), message))
    return problems
