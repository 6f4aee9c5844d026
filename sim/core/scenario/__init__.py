"""Scenario files: TOML in, a validated :class:`Scenario` out.

A scenario is data, never code. The file format is pinned (see
``docs/scenarios.md`` and the README); this module checks every field and
reports *all* problems at once, each on one line naming the file, the field
path and what is allowed.

Any number in a scenario may be written as a range, ``{ low = 0.2, high = 0.4 }``
with an optional point default ``value`` (the midpoint when absent). The point
is what a single run uses; Monte Carlo designs draw from the range.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

from sim.core.errors import Problem, UserError

__all__ = [
    "Issue",
    "Party",
    "Scenario",
    "load_scenario",
    "scenario_from_dict",
]

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""Scenario and experiment names: they name folders, so no slashes or spaces."""
RANGE_KEYS = {"low", "high", "value"}


# --------------------------------------------------------------------------
# Field types: each carries the sentence that says what is allowed.
# --------------------------------------------------------------------------
def _number(
    allowed: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> Any:
    """An annotated number type whose error message states ``allowed``."""

    def check(value: Any) -> float | int:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and integer and not isinstance(value, int):
            ok = False
        if ok and not math.isfinite(value):
            ok = False
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            raise PydanticCustomError(
                "allowed", "must be {allowed}; got {got}", {"allowed": allowed, "got": repr(value)}
            )
        return int(value) if integer else float(value)

    return Annotated[int if integer else float, PlainValidator(check)]


def _text(allowed: str = "a string") -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError(
                "allowed", "must be {allowed}; got {got}", {"allowed": allowed, "got": repr(value)}
            )
        return value

    return Annotated[str, PlainValidator(check)]


Real = _number("a finite number")
NonNegative = _number("a number >= 0", low=0.0)
Positive = _number("a number > 0", low=0.0, low_open=True)
UnitInterval = _number("a number in [0, 1]", low=0.0, high=1.0)
Discount = _number("a number in (0, 1]", low=0.0, high=1.0, low_open=True)
Rounds = _number("an integer >= 1", low=1, integer=True)
MAX_SEED = 2**63 - 1
Seed = _number("an integer in [0, 2**63 - 1]", low=0, high=MAX_SEED, integer=True)
Text = _text()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoundsSpec(_Strict):
    """Bounds on one issue (a domestic win-set)."""

    min: Real | None = None
    max: Real | None = None


class RedLineSpec(_Strict):
    """Hard bounds a party will not cross on one issue; they may soften with a cost."""

    min: Real | None = None
    max: Real | None = None
    soften: NonNegative = 0.0
    cost: UnitInterval = 0.0


RoundPath = list[list[Real]]


class LogisticSpec(_Strict):
    """Probability of ratification ``1 / (1 + exp(-steepness (U - midpoint)))``."""

    midpoint: UnitInterval
    steepness: Positive


class RatificationSpec(_Strict):
    """A party's domestic win-set (Putnam 1988)."""

    label: Text = ""
    bounds: dict[str, BoundsSpec] = {}
    min_utility: UnitInterval | None = None
    logistic: LogisticSpec | None = None


class CoalitionSpec(_Strict):
    """Parties coordinating a joint position."""

    members: list[Text]
    counter_text: bool = False
    from_round: Seed = 1


class IssueSpec(_Strict):
    """One issue: a bounded dimension, optionally on a grid, optionally labelled."""

    label: Text = ""
    unit: Text = ""
    min: Real
    max: Real
    step: Positive | None = None
    levels: dict[str, Text] | None = None
    no_deal_path: RoundPath | None = None


class PartySpec(_Strict):
    """One party's preferences and bargaining traits."""

    name: Text
    capability: NonNegative
    patience: Discount
    walkaway: UnitInterval
    walkaway_drift: Real = 0.0
    ideal: dict[str, Real]
    salience: dict[str, UnitInterval]
    curvature: dict[str, Positive] = {}
    red_lines: dict[str, RedLineSpec] = {}
    strategy: Text | None = None
    must_agree_on: list[Text] | None = None
    walkaway_path: RoundPath | None = None
    ratification: RatificationSpec | None = None


class HeaderSpec(_Strict):
    """The ``[scenario]`` table."""

    name: Text
    title: Text = ""
    rounds: Rounds
    protocol: Text = "mediated"
    seed: Seed = 0
    sources: list[Text] = []
    mediator: Text | None = None
    mediator_bias: dict[str, NonNegative] = {}
    noise: NonNegative = 0.0
    opening: Text | dict[str, Real] = "compromise"
    main_parties: list[Text] | None = None
    ratification_failure: Text = "continue"


class ScenarioSpec(_Strict):
    """A whole scenario file."""

    scenario: HeaderSpec
    issues: dict[str, IssueSpec]
    parties: dict[str, PartySpec]
    coalitions: dict[str, CoalitionSpec] = {}


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
    import types
    import typing

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


def _path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def _pydantic_problems(source: str, error: ValidationError, root: type[BaseModel] | None = None) -> list[Problem]:
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
        if problems and problems[-1].field == _path(loc) and kind in ("allowed", "dict_type"):
            continue
        problems.append(Problem(source, _path(loc), message))
    return problems


# --------------------------------------------------------------------------
# Ranges: {low, high[, value]} anywhere a number goes.
# --------------------------------------------------------------------------
def _is_range(node: Any) -> bool:
    return isinstance(node, dict) and {"low", "high"} <= set(node) and set(node) <= RANGE_KEYS


def _resolve_ranges(node: Any, source: str, loc: tuple, ranges: dict[str, tuple[float, float]], problems: list) -> Any:
    """Replace every range by its point value; record the ranges by path."""
    if _is_range(node):
        low, high = node["low"], node["high"]
        nums = [v for v in node.values()]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums):
            problems.append(Problem(source, _path(loc), "a range's low, high, value must be numbers"))
            return node.get("value", low)
        if low > high:
            problems.append(Problem(source, _path(loc), f"range must have low <= high; got {low} > {high}"))
        value = node.get("value", (low + high) / 2)
        if not low <= value <= high:
            problems.append(Problem(source, _path(loc), f"range value must lie in [{low}, {high}]; got {value}"))
        if isinstance(low, int) and isinstance(high, int) and "value" not in node:
            value = (low + high) / 2
            value = int(value) if value == int(value) else value
        ranges[_path(loc)] = (float(low), float(high))
        return value
    if isinstance(node, dict):
        return {k: _resolve_ranges(v, source, (*loc, k), ranges, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_ranges(v, source, (*loc, i), ranges, problems) for i, v in enumerate(node)]
    return node


# --------------------------------------------------------------------------
# The validated scenario.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    """A bounded issue dimension.

    Attributes:
        id: Identifier used in files and tables.
        label: Human-readable name.
        unit: Unit of the values (e.g. "thousand troops").
        min: Lower bound of the scale.
        max: Upper bound of the scale.
        step: Grid spacing of tabled values, or None for a continuous issue.
        levels: Labels of named points on the scale, ``{value: label}``.
        no_deal_path: ``(round, value)`` points of the value the issue takes
            without a deal (e.g. the line of contact); texts cannot go below it.
    """

    id: str
    label: str
    unit: str
    min: float
    max: float
    step: float | None = None
    levels: Mapping[float, str] = field(default_factory=dict)
    no_deal_path: tuple[tuple[float, float], ...] = ()

    @property
    def span(self) -> float:
        """Width of the scale, ``max - min``."""
        return self.max - self.min

    def level_name(self, value: float) -> str | None:
        """Label of the labelled level nearest ``value`` (None if unlabelled)."""
        if not self.levels:
            return None
        nearest = min(self.levels, key=lambda level: (abs(level - value), level))
        return self.levels[nearest]

    def format(self, value: float | None) -> str:
        """Value with unit, and the nearest level's label for ordinal issues."""
        if value is None:
            return "-"
        digits = 0 if self.span >= 100 else (2 if self.span >= 1 else 3)
        text = f"{value:.{digits}f}"
        if self.unit:
            text += f" {self.unit}"
        label = self.level_name(value)
        if label is not None:
            exact = any(abs(value - level) <= 1e-6 * self.span for level in self.levels)
            text += f" ({'' if exact else '~'}{label})"
        return text


@dataclass(frozen=True)
class Ratification:
    """A domestic win-set (Putnam 1988, two-level games).

    Attributes:
        label: Who ratifies (e.g. "Verkhovna Rada").
        bounds: ``(low, high)`` per issue the deal must lie within.
        min_utility: Least utility of the deal that passes, or None.
        midpoint: Logistic passage: utility with a 50% chance, or None.
        steepness: Logistic passage: slope.
    """

    label: str
    bounds: Mapping[str, tuple[float, float]]
    min_utility: float | None = None
    midpoint: float | None = None
    steepness: float | None = None


@dataclass(frozen=True)
class Coalition:
    """Parties coordinating one position (mediated protocol).

    Attributes:
        id: Identifier.
        members: Party ids.
        counter_text: Whether the coalition tables a joint counter-text.
        from_round: The round it forms (and tables its counter-text).
    """

    id: str
    members: tuple[str, ...]
    counter_text: bool = False
    from_round: int = 1


@dataclass(frozen=True)
class Party:
    """A party at the table.

    Attributes:
        id: Identifier.
        name: Display name.
        capability: Power to move the text (any non-negative scale).
        patience: Per-round discount factor in (0, 1].
        walkaway: Utility of no deal at round 0 (the BATNA), in [0, 1].
        walkaway_drift: Change of the walk-away value per round.
        ideal: Ideal point per issue, in the issue's units.
        salience: Raw salience per issue, in [0, 1].
        curvature: Exponent of the value function per issue (1 = linear).
        red_lines: Hard bounds ``(low, high)`` per issue; the issue's bounds
            where the party has none.
        strategy: Strategy in the alternating-offers protocol (default linear).
        must_agree_on: The issues the party's consent is needed for (a
            guarantor signs for some issues only); all issues by default.
        walkaway_path: ``(round, value)`` points of the walk-away value
            (replaces the drift), or None.
        red_soften: Per-round relaxation of each red line, in issue units.
        red_cost: Utility lost (audience cost) if the deal crosses the
            original red line, per issue.
        ratification: The party's domestic win-set, or None.
    """

    id: str
    name: str
    capability: float
    patience: float
    walkaway: float
    walkaway_drift: float
    ideal: Mapping[str, float]
    salience: Mapping[str, float]
    curvature: Mapping[str, float]
    red_lines: Mapping[str, tuple[float, float]]
    strategy: str = "linear"
    must_agree_on: tuple[str, ...] = ()
    walkaway_path: tuple[tuple[float, float], ...] | None = None
    red_soften: Mapping[str, float] = field(default_factory=dict)
    red_cost: Mapping[str, float] = field(default_factory=dict)
    ratification: Ratification | None = None

    def weights(self) -> dict[str, float]:
        """Salience normalised to sum 1 (the weights of the utility function)."""
        total = sum(self.salience.values())
        return {k: v / total for k, v in self.salience.items()}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Build one with :func:`load_scenario` or :func:`scenario_from_dict`; derive
    variants with :meth:`with_values`.
    """

    name: str
    title: str
    rounds: int
    protocol: str
    seed: int
    sources: tuple[str, ...]
    mediator: str | None
    mediator_bias: Mapping[str, float]
    noise: float
    opening: str | Mapping[str, float]
    main_parties: tuple[str, str]
    issues: tuple[Issue, ...]
    parties: tuple[Party, ...]
    coalitions: tuple[Coalition, ...]
    ratification_failure: str
    source: str
    data: Mapping[str, Any] = field(repr=False)
    ranges: Mapping[str, tuple[float, float]] = field(repr=False)
    sha256: str = field(repr=False)

    @property
    def issue_ids(self) -> list[str]:
        """Issue identifiers in file order."""
        return [i.id for i in self.issues]

    @property
    def party_ids(self) -> list[str]:
        """Party identifiers in file order."""
        return [p.id for p in self.parties]

    def issue(self, issue_id: str) -> Issue:
        """The issue with this identifier."""
        return self.issues[self.issue_ids.index(issue_id)]

    def party(self, party_id: str) -> Party:
        """The party with this identifier."""
        return self.parties[self.party_ids.index(party_id)]

    def to_units(self, z: Any, on_grid: bool = False) -> Any:
        """Normalised positions ``(..., I)`` in the issues' own units.

        Args:
            z: Values in [0, 1] per issue (numpy array, last axis = issues).
            on_grid: Round issues with a ``step`` to their grid exactly (for
                tabled texts and deals, which the kernel keeps on the grid).
        """
        import numpy as np

        lo = np.array([i.min for i in self.issues])
        span = np.array([i.span for i in self.issues])
        x = lo + np.asarray(z) * span
        if on_grid:
            for k, issue in enumerate(self.issues):
                if issue.step:
                    grid = np.round((x[..., k] - issue.min) / issue.step) * issue.step + issue.min
                    x[..., k] = np.minimum(grid, issue.max)
        return x

    def with_values(self, values: Mapping[str, Any], source: str | None = None) -> Scenario:
        """A copy with values set at dotted paths, validated again.

        Args:
            values: ``{"parties.russia.walkaway": 0.2, ...}``; paths address the
                scenario file's tables and keys.
            source: Name to report in errors (defaults to this scenario's).

        Returns:
            The new scenario.

        Raises:
            UserError: If a path does not exist or a value is not allowed.
        """
        data = copy.deepcopy(dict(self.data))
        for path, value in values.items():
            set_path(data, path, value, source or self.source)
        return scenario_from_dict(data, source or self.source)


def set_path(data: dict, path: str, value: Any, source: str = "") -> None:
    """Set ``value`` at dotted ``path`` in nested tables ``data``.

    A numeric key indexes a list (``issues.territory.no_deal_path.1.1``).
    Missing leaf keys (and missing tables under ``scenario``, e.g.
    ``mediator_bias``) are created; a missing party or issue is an error.
    """
    keys = path.split(".")
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            node = _list_item(node, key, path, source)
            continue
        if not isinstance(node, dict):
            raise UserError.at(source, path, f"{'.'.join(keys[:depth])} is not a table")
        if key not in node:
            if depth <= 1 and keys[0] in ("parties", "issues"):
                known = ", ".join(node) or "none"
                raise UserError.at(source, path, f"no such entry {key!r}; known: {known}")
            node[key] = {}
        node = node[key]
    if isinstance(node, list):
        index = int(keys[-1]) if keys[-1].isdigit() else -1
        _list_item(node, keys[-1], path, source)
        node[index] = value
    elif isinstance(node, dict):
        node[keys[-1]] = value
    else:
        raise UserError.at(source, path, "parent is not a table")


def _list_item(node: list, key: str, path: str, source: str) -> Any:
    if not key.isdigit() or int(key) >= len(node):
        raise UserError.at(source, path, f"{key!r} is not an index of a list of {len(node)}")
    return node[int(key)]


def get_path(data: Mapping, path: str) -> Any:
    """Value at dotted ``path`` in nested tables (numeric keys index lists); KeyError if absent."""
    node: Any = data
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def canonical_sha256(data: Mapping[str, Any]) -> str:
    """SHA-256 of the scenario's data in canonical JSON (comments don't count)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Args:
        path: The file.

    Returns:
        The validated scenario.

    Raises:
        UserError: Listing every problem in the file.
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError.at(source, "", "file not found") from None
    except OSError as exc:
        raise UserError.at(source, "", f"cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError.at(source, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError.at(source, "", f"not valid TOML: {exc}") from None
    return scenario_from_dict(data, source)


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate scenario data already parsed into dicts (same rules as files).

    Args:
        data: Nested tables as a TOML parser returns them.
        source: Name used in error messages.

    Returns:
        The validated scenario.

    Raises:
        UserError: Listing every problem found.
    """
    problems: list[Problem] = []
    ranges: dict[str, tuple[float, float]] = {}
    resolved = _resolve_ranges(copy.deepcopy(dict(data)), source, (), ranges, problems)
    spec = None
    try:
        spec = ScenarioSpec.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(source, exc))
    problems.extend(_cross_check(resolved, source))
    if not problems:
        problems.extend(_range_end_problems(resolved, ranges, source))
    if problems or spec is None:
        raise UserError(problems or [Problem(source, "", "invalid scenario")])
    return _build(spec, dict(data), ranges, source)


def _range_end_problems(resolved: dict, ranges: dict[str, tuple[float, float]], source: str) -> list[Problem]:
    """Check that both ends of every range are allowed values of their field."""
    problems = []
    for path, ends in ranges.items():
        for end_name, end in zip(("low", "high"), ends, strict=True):
            variant = copy.deepcopy(resolved)
            try:
                set_path(variant, path, end, source)
                ScenarioSpec.model_validate(variant)
                errors = [Problem(source, p.field, p.message) for p in _cross_check(variant, source)]
            except ValidationError as exc:
                errors = _pydantic_problems(source, exc)
            except UserError as exc:
                errors = exc.problems
            problems += [Problem(source, f"{path}.{end_name}", p.message) for p in errors if p.field == path]
    return problems


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _cross_check(data: Mapping[str, Any], source: str) -> list[Problem]:
    """Rules that span fields; runs on raw data so all problems show at once."""
    from sim.core.schema import strategy_names
    from sim.protocols import protocol_names

    out: list[Problem] = []

    def bad(path: str, message: str) -> None:
        out.append(Problem(source, path, message))

    issues = data.get("issues") if isinstance(data.get("issues"), dict) else {}
    parties = data.get("parties") if isinstance(data.get("parties"), dict) else {}
    header = data.get("scenario") if isinstance(data.get("scenario"), dict) else {}
    if isinstance(data.get("issues"), dict) and not issues:
        bad("issues", "needs at least one issue")
    if isinstance(data.get("parties"), dict) and len(parties) < 2:
        bad("parties", f"needs at least two parties; got {len(parties)}")

    bounds: dict[str, tuple[float, float]] = {}
    for iid, issue in issues.items():
        if not IDENTIFIER.match(iid):
            bad(f"issues.{iid}", "issue id must be an identifier (letters, digits, _)")
        if not isinstance(issue, dict):
            continue
        lo, hi = issue.get("min"), issue.get("max")
        if _num(lo) and _num(hi):
            if lo >= hi:
                bad(f"issues.{iid}.max", f"must be greater than min ({lo}); got {hi}")
            else:
                bounds[iid] = (lo, hi)
                step = issue.get("step")
                if _num(step) and step > hi - lo:
                    bad(f"issues.{iid}.step", f"must be in (0, {hi - lo}] (max - min); got {step}")
        levels = issue.get("levels")
        if isinstance(levels, dict):
            for key in levels:
                try:
                    level = float(key)
                except ValueError:
                    bad(f"issues.{iid}.levels.{key}", "level keys must be numbers written as text")
                    continue
                if iid in bounds and not bounds[iid][0] <= level <= bounds[iid][1]:
                    bad(
                        f"issues.{iid}.levels.{key}",
                        f"level must lie in [{bounds[iid][0]}, {bounds[iid][1]}]",
                    )

    def in_bounds(path: str, iid: str, value: Any) -> None:
        if iid not in issues:
            known = ", ".join(issues) or "none"
            bad(path, f"unknown issue {iid!r}; issues: {known}")
        elif iid in bounds and _num(value) and not bounds[iid][0] <= value <= bounds[iid][1]:
            lo, hi = bounds[iid]
            bad(path, f"must be in [{lo}, {hi}] (the issue's min..max); got {value}")

    def check_bounds(path: str, iid: str, line: Any) -> bool:
        """A {min, max} table on an issue: known issue, inside its range, min <= max."""
        if iid not in issues:
            bad(path, f"unknown issue {iid!r}; issues: {', '.join(issues)}")
            return False
        if not isinstance(line, dict):
            return False
        lo, hi = line.get("min"), line.get("max")
        for key, value in (("min", lo), ("max", hi)):
            if _num(value):
                in_bounds(f"{path}.{key}", iid, value)
        if _num(lo) and _num(hi) and lo > hi:
            bad(path, f"min must be <= max; got min {lo} > max {hi}")
        return True

    for pid, party in parties.items():
        if not IDENTIFIER.match(pid):
            bad(f"parties.{pid}", "party id must be an identifier (letters, digits, _)")
        if not isinstance(party, dict):
            continue
        for key in ("ideal", "salience"):
            table = party.get(key)
            if not isinstance(table, dict):
                continue
            for iid in issues:
                if iid not in table:
                    bad(f"parties.{pid}.{key}.{iid}", f"missing; every party needs a {key} for every issue")
            for iid, value in table.items():
                if key == "ideal":
                    in_bounds(f"parties.{pid}.ideal.{iid}", iid, value)
                elif iid not in issues:
                    bad(f"parties.{pid}.salience.{iid}", f"unknown issue {iid!r}; issues: {', '.join(issues)}")
            if key == "salience" and table and all(_num(v) and v == 0 for v in table.values()):
                bad(f"parties.{pid}.salience", "at least one salience must be > 0")
        curvature = party.get("curvature")
        if isinstance(curvature, dict):
            for iid in curvature:
                if iid not in issues:
                    bad(
                        f"parties.{pid}.curvature.{iid}",
                        f"unknown issue {iid!r}; issues: {', '.join(issues)}",
                    )
        red = party.get("red_lines")
        if isinstance(red, dict):
            ideal = party.get("ideal") if isinstance(party.get("ideal"), dict) else {}
            for iid, line in red.items():
                if not check_bounds(f"parties.{pid}.red_lines.{iid}", iid, line):
                    continue
                lo, hi = line.get("min"), line.get("max")
                x = ideal.get(iid)
                if _num(x) and ((_num(lo) and x < lo) or (_num(hi) and x > hi)):
                    bad(f"parties.{pid}.ideal.{iid}", f"lies outside the party's own red line on {iid}")

    strategies = strategy_names()
    for pid, party in parties.items():
        strategy = party.get("strategy") if isinstance(party, dict) else None
        if isinstance(strategy, str) and strategy not in strategies:
            bad(f"parties.{pid}.strategy", f"must be one of {', '.join(strategies)}; got {strategy!r}")
        elif strategy == "equilibrium" and len(parties) != 2:
            bad(f"parties.{pid}.strategy", f"equilibrium needs exactly two parties; got {len(parties)}")

    def check_path(where: str, path: Any, low: float, high: float, what: str) -> None:
        if not isinstance(path, list):
            return
        last = -1.0
        for k, point in enumerate(path):
            if not (isinstance(point, list) and len(point) == 2 and all(_num(v) for v in point)):
                bad(f"{where}[{k}]", "each point must be [round, value]")
                return
            if point[0] < 0 or point[0] <= last:
                bad(f"{where}[{k}]", f"rounds must be >= 0 and increasing; got {point[0]} after {last:g}")
                return
            last = point[0]
            if not low <= point[1] <= high:
                bad(f"{where}[{k}]", f"{what} must be in [{low:g}, {high:g}]; got {point[1]}")
        if not path:
            bad(where, "needs at least one [round, value] point")

    for iid, issue in issues.items():
        if isinstance(issue, dict) and iid in bounds:
            check_path(f"issues.{iid}.no_deal_path", issue.get("no_deal_path"), *bounds[iid], "the value")

    membership: dict[str, str] = {}
    for pid, party in parties.items():
        if not isinstance(party, dict):
            continue
        agree = party.get("must_agree_on")
        if isinstance(agree, list):
            if not agree:
                bad(f"parties.{pid}.must_agree_on", "must name at least one issue (omit it for every issue)")
            for iid in agree:
                if iid not in issues:
                    bad(f"parties.{pid}.must_agree_on", f"unknown issue {iid!r}; issues: {', '.join(issues)}")
        check_path(f"parties.{pid}.walkaway_path", party.get("walkaway_path"), 0.0, 1.0, "walk-away values")
        drift = party.get("walkaway_drift", 0)
        if party.get("walkaway_path") is not None and _num(drift) and drift != 0:
            bad(f"parties.{pid}.walkaway_path", "give walkaway_drift or walkaway_path, not both")
        rat = party.get("ratification")
        if isinstance(rat, dict):
            if not any(k in rat for k in ("bounds", "min_utility", "logistic")):
                bad(f"parties.{pid}.ratification", "give bounds, min_utility and/or logistic")
            rb = rat.get("bounds")
            if isinstance(rb, dict):
                for iid, line in rb.items():
                    check_bounds(f"parties.{pid}.ratification.bounds.{iid}", iid, line)

    coalitions = data.get("coalitions") if isinstance(data.get("coalitions"), dict) else {}
    for cid, coalition in coalitions.items():
        if not isinstance(coalition, dict) or not isinstance(coalition.get("members"), list):
            continue
        members = coalition["members"]
        where = f"coalitions.{cid}.members"
        if len(members) < 2 or len(set(members)) != len(members):
            bad(where, "must name at least two different parties")
        for pid in members:
            if pid not in parties:
                bad(where, f"unknown party {pid!r}; parties: {', '.join(parties)}")
            elif pid in membership:
                bad(where, f"{pid} is already in coalition {membership[pid]}; a party joins one coalition")
            else:
                membership[pid] = cid

    name = header.get("name")
    if isinstance(name, str) and not NAME.match(name):
        bad("scenario.name", f"must be letters, digits, '-', '_' or '.' (it names a folder); got {name!r}")

    failure = header.get("ratification_failure")
    if isinstance(failure, str) and failure not in ("continue", "end"):
        bad("scenario.ratification_failure", f"must be continue or end; got {failure!r}")

    protocol = header.get("protocol")
    if isinstance(protocol, str) and protocol not in protocol_names():
        bad("scenario.protocol", f"must be one of {', '.join(protocol_names())}; got {protocol!r}")
    mediator = header.get("mediator")
    if isinstance(mediator, str) and mediator not in parties:
        bad("scenario.mediator", f"must be a party id ({', '.join(parties)}); got {mediator!r}")
    bias = header.get("mediator_bias")
    if isinstance(bias, dict):
        for pid in bias:
            if pid not in parties:
                bad(f"scenario.mediator_bias.{pid}", f"unknown party; parties: {', '.join(parties)}")
    opening = header.get("opening")
    if isinstance(opening, str) and opening not in OPENING_RULES:
        bad(
            "scenario.opening",
            f"must be one of {', '.join(OPENING_RULES)} or a table {{issue = value}}; got {opening!r}",
        )
    elif isinstance(opening, dict):
        for iid in issues:
            if iid not in opening:
                bad(f"scenario.opening.{iid}", "missing; an opening text needs every issue")
        for iid, value in opening.items():
            in_bounds(f"scenario.opening.{iid}", iid, value)
    main = header.get("main_parties")
    if isinstance(main, list):
        if len(main) != 2 or len(set(main)) != 2:
            bad("scenario.main_parties", "must name two different parties")
        for pid in main:
            if pid not in parties:
                bad("scenario.main_parties", f"must name parties ({', '.join(parties)}); got {pid!r}")
    return out


def _build(spec: ScenarioSpec, data: dict, ranges: dict[str, tuple[float, float]], source: str) -> Scenario:
    issues = tuple(
        Issue(
            id=iid,
            label=s.label or iid,
            unit=s.unit,
            min=s.min,
            max=s.max,
            step=s.step,
            levels={float(k): v for k, v in sorted((s.levels or {}).items(), key=lambda kv: float(kv[0]))},
            no_deal_path=tuple((float(r), float(v)) for r, v in (s.no_deal_path or [])),
        )
        for iid, s in spec.issues.items()
    )
    parties = []
    for pid, p in spec.parties.items():
        red = {}
        for issue in issues:
            line = p.red_lines.get(issue.id)
            lo = line.min if line and line.min is not None else issue.min
            hi = line.max if line and line.max is not None else issue.max
            red[issue.id] = (lo, hi)
        parties.append(
            Party(
                id=pid,
                name=p.name,
                capability=p.capability,
                patience=p.patience,
                walkaway=p.walkaway,
                walkaway_drift=p.walkaway_drift,
                ideal={i.id: p.ideal[i.id] for i in issues},
                salience={i.id: p.salience[i.id] for i in issues},
                curvature={i.id: p.curvature.get(i.id, 1.0) for i in issues},
                red_lines=red,
                strategy=p.strategy or "linear",
                must_agree_on=tuple(p.must_agree_on or [i.id for i in issues]),
                walkaway_path=None
                if p.walkaway_path is None
                else tuple((float(r), float(v)) for r, v in p.walkaway_path),
                red_soften={i.id: (p.red_lines[i.id].soften if i.id in p.red_lines else 0.0) for i in issues},
                red_cost={i.id: (p.red_lines[i.id].cost if i.id in p.red_lines else 0.0) for i in issues},
                ratification=_ratification(p.ratification, issues),
            )
        )
    header = spec.scenario
    ids = [p.id for p in parties]
    mediator = header.mediator if header.mediator is not None else ("us" if "us" in ids else None)
    if header.main_parties:
        main = tuple(header.main_parties)
    else:
        others = [pid for pid in ids if pid != mediator]
        main = tuple((others + ids)[:2])
    opening = header.opening if isinstance(header.opening, str) else dict(header.opening)
    return Scenario(
        name=header.name,
        title=header.title or header.name,
        rounds=header.rounds,
        protocol=header.protocol,
        seed=header.seed,
        sources=tuple(header.sources),
        mediator=mediator,
        mediator_bias={pid: header.mediator_bias.get(pid, 1.0) for pid in ids},
        noise=header.noise,
        opening=opening,
        main_parties=main,  # type: ignore[arg-type]
        issues=issues,
        parties=tuple(parties),
        coalitions=tuple(
            Coalition(cid, tuple(c.members), c.counter_text, c.from_round) for cid, c in spec.coalitions.items()
        ),
        ratification_failure=header.ratification_failure,
        source=source,
        data=data,
        ranges=ranges,
        sha256=canonical_sha256(data),
    )


def _ratification(spec: RatificationSpec | None, issues: tuple[Issue, ...]) -> Ratification | None:
    if spec is None:
        return None
    bounds = {}
    for issue in issues:
        b = spec.bounds.get(issue.id)
        lo = b.min if b and b.min is not None else issue.min
        hi = b.max if b and b.max is not None else issue.max
        bounds[issue.id] = (lo, hi)
    return Ratification(
        label=spec.label,
        bounds=bounds,
        min_utility=spec.min_utility,
        midpoint=None if spec.logistic is None else spec.logistic.midpoint,
        steepness=None if spec.logistic is None else spec.logistic.steepness,
    )
