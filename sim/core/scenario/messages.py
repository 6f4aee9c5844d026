"""pydantic's validation errors as one-line problems: file, field path, what is allowed."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.core.errors import Problem
from sim.core.scenario.spec import ScenarioSpec

__all__ = ["OPENING_RULES", "dotted", "pydantic_problems"]

_FIELD_HELP = {
    "name": "a string",
    "rounds": "an integer >= 1",
    "min": "a finite number",
    "max": "a finite number",
    "capability": "a number >= 0",
    "patience": "a number in (0, 1]",
    "walkaway": "a number in [0, 1]",
    "ideal": "a table {issue = value} covering every issue",
    "salience": "a table {issue = weight in [0, 1]} covering every issue",
    "scenario": "a [scenario] table",
    "issues": "at least one [issues.<id>] table",
    "parties": "at least two [parties.<id>] tables",
}

OPENING_RULES = ("compromise", "mediator")


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


def dotted(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def pydantic_problems(source: str, error: ValidationError, root: type[BaseModel] | None = None) -> list[Problem]:
    problems = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = err["type"]
        if kind == "allowed":
            message = err["msg"]
        elif kind == "missing":
            help_ = _FIELD_HELP.get(str(loc[-1]), "a value")
            message = f"missing; must be {help_}"
        elif kind == "extra_forbidden":
            model = _model_for(loc[:-1], root)
            allowed = ", ".join(model.model_fields) if model else "none"
            message = f"unknown key; allowed keys here: {allowed}"
        elif kind in ("dict_type", "model_type"):
            message = f"must be a table; got {err.get('input')!r}"
        elif kind == "list_type":
            message = f"must be a list; got {err.get('input')!r}"
        elif kind.startswith("union"):
            message = f"must be one of {', '.join(OPENING_RULES)} or a table {{issue = value}}"
        else:
            message = f"{err['msg']}; got {err.get('input')!r}"
        # unions report one error per member: keep the first only
        if problems and problems[-1].field == dotted(loc) and kind in ("allowed", "dict_type"):
            continue
        problems.append(Problem(source, dotted(loc), message))
    return problems
