"""The validated scenario, and how a file becomes one.

A scenario is data, never code. The file format is pinned (see
``docs/scenarios.md`` and the README): :func:`load_scenario` reads a TOML
file, checks every field (:mod:`~sim.core.scenario.spec`), every rule that
spans fields (:mod:`~sim.core.scenario.rules`) and both ends of every range
(:mod:`~sim.core.scenario.ranges`), and reports *all* problems at once, each
on one line naming the file, the field path and what is allowed.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.core.errors import Problem, UserError
from sim.core.scenario.messages import pydantic_problems
from sim.core.scenario.paths import canonical_sha256, get_path, set_path
from sim.core.scenario.ranges import resolve_ranges
from sim.core.scenario.rules import RULES, Rule, check_rules
from sim.core.scenario.spec import EventSpec, HeaderSpec, RatificationSpec, ScenarioSpec
from sim.core.schema import limit, shown
from sim.core.tomlfile import depth_of, read_toml

__all__ = [
    "Battlefield",
    "Coalition",
    "Event",
    "Issue",
    "Party",
    "Ratification",
    "Scenario",
    "date_of_round",
    "load_scenario",
    "round_of_date",
    "scenario_from_dict",
]


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
        discrete: Whether texts, offers and deals take only the labelled
            levels (a package of options).
    """

    id: str
    label: str
    unit: str
    min: float
    max: float
    step: float | None = None
    levels: Mapping[float, str] = field(default_factory=dict)
    no_deal_path: tuple[tuple[float, float], ...] = ()
    discrete: bool = False

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
        walkout_after: Rounds in a row of a text worse than fighting on after
            which the party walks out (0: never).
        front_sensitivity: Change of its walk-away value per full span of
            front-line movement (battlefield).
        voice_on: The issues it pulls on in the mediated text (default: the
            issues it signs for).
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
    walkout_after: int = 0
    front_sensitivity: float = 0.0
    voice_on: tuple[str, ...] = ()

    def weights(self) -> dict[str, float]:
        """Salience normalised to sum 1 (the weights of the utility function)."""
        total = sum(self.salience.values())
        return {k: v / total for k, v in self.salience.items()}


@dataclass(frozen=True)
class Battlefield:
    """The front line, a stochastic process tied to one issue (issue units).

    Each round ``F(t) = clip(F(t-1) + drift + volatility * eps_t + jump_size * J_t)``
    with ``eps_t`` standard normal and ``J_t`` a Bernoulli(``jump_rate``)
    breakthrough; ``F`` is the no-deal line of ``issue`` (no text goes below
    it) and moves every party's walk-away by ``front_sensitivity * (F(t) - F(0)) / span``.

    Attributes:
        issue: The issue whose no-deal line the front is.
        start: F(0).
        drift: Expected change per round.
        volatility: Standard deviation of the change per round.
        jump_rate: Probability of a breakthrough per round.
        jump_size: Its size (signed).
    """

    issue: str
    start: float
    drift: float = 0.0
    volatility: float = 0.0
    jump_rate: float = 0.0
    jump_size: float = 0.0


@dataclass(frozen=True)
class Event:
    """A dated shock: numbers set or shifted from its round on.

    Attributes:
        label: What happened.
        round: The first round it applies to.
        set: Values set from that round on, by scenario path.
        shift: Amounts added from that round on, by scenario path.
        probability: The share of runs in which it happens.
        source: Where it is reported.
        date: Its date as written (with a calendar), or None.
    """

    label: str
    round: int
    set: Mapping[str, float] = field(default_factory=dict)
    shift: Mapping[str, float] = field(default_factory=dict)
    probability: float = 1.0
    source: str = ""
    date: str | None = None


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
    breakdown_risk: float = 0.0
    start_date: str | None = None
    round_days: float | None = None
    mediator_lean: Mapping[str, float] = field(default_factory=dict)
    mediator_misperception: float = 0.0
    battlefield: Battlefield | None = None
    events: tuple[Event, ...] = ()
    rules: tuple[Rule, ...] = field(default=RULES, repr=False, compare=False)
    """The rules the scenario was validated with (variants are checked by the same)."""
    as_of: str | None = None
    """The date the scenario's knowledge stops (``"YYYY-MM-DD"``), or None."""
    source_dates: tuple[str | None, ...] = ()
    """The date of each source (``"YYYY-MM-DD"``), None where undated; same order as ``sources``."""

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
                tabled texts and deals, which the kernel keeps on the grid;
                ties toward the middle of the scale, as the kernel rounds).
        """
        import numpy as np

        from sim.core.utility import round_to_grid

        lo = np.array([i.min for i in self.issues])
        span = np.array([i.span for i in self.issues])
        x = lo + np.asarray(z) * span
        if on_grid:
            for k, issue in enumerate(self.issues):
                if issue.step:
                    steps = round_to_grid((x[..., k] - issue.min) / issue.step, issue.span / issue.step)
                    grid = steps * issue.step + issue.min
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
        return scenario_from_dict(data, source or self.source, self.rules)


def load_scenario(path: str | Path, rules: tuple[Rule, ...] = RULES) -> Scenario:
    """Read and validate a scenario TOML file.

    Args:
        path: The file.
        rules: The cross-field rules to check (default: the file format's;
            :func:`sim.load_scenario` adds every protocol's).

    Returns:
        The validated scenario.

    Raises:
        UserError: Listing every problem in the file.
    """
    return scenario_from_dict(read_toml(path), str(path), rules)


def scenario_from_dict(
    data: Mapping[str, Any], source: str = "<scenario>", rules: tuple[Rule, ...] = RULES
) -> Scenario:
    """Validate scenario data already parsed into dicts (same rules as files).

    Args:
        data: Nested tables as a TOML parser returns them.
        source: Name used in error messages.
        rules: The cross-field rules to check.

    Returns:
        The validated scenario.

    Raises:
        UserError: Listing every problem found.
    """
    depth = limit("depth")
    if not isinstance(data, Mapping):
        raise UserError.at(source, "", f"must be tables of a scenario file; got {shown(data)}")
    if depth_of(data, depth.value) > depth.value:
        raise UserError.at(source, "", f"nested too deeply: {depth.message('more')}")
    problems: list[Problem] = []
    ranges: dict[str, tuple[float, float]] = {}
    resolved = resolve_ranges(copy.deepcopy(dict(data)), source, (), ranges, problems)
    spec = None
    try:
        spec = ScenarioSpec.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(pydantic_problems(source, exc))
    problems.extend(check_rules(resolved, source, rules))
    if not problems:
        problems.extend(_range_end_problems(resolved, ranges, source, rules))
    if problems or spec is None:
        raise UserError(problems or [Problem(source, "", "invalid scenario")])
    return _build(spec, dict(data), ranges, source, rules)


def _range_end_problems(
    resolved: dict, ranges: dict[str, tuple[float, float]], source: str, rules: tuple[Rule, ...]
) -> list[Problem]:
    """Check that both ends of every range are allowed values of their field."""
    problems = []
    for path, ends in ranges.items():
        whole = isinstance(get_path(resolved, path), int)  # a range written in whole numbers (an integer field)
        for end_name, end in zip(("low", "high"), ends, strict=True):
            end = int(end) if whole and float(end).is_integer() else end
            variant = copy.deepcopy(resolved)
            try:
                set_path(variant, path, end, source)
                ScenarioSpec.model_validate(variant)
                errors = check_rules(variant, source, rules)
            except ValidationError as exc:
                errors = pydantic_problems(source, exc)
            except UserError as exc:
                errors = exc.problems
            problems += [Problem(source, f"{path}.{end_name}", p.message) for p in errors if p.field == path]
    return problems


def _build(
    spec: ScenarioSpec, data: dict, ranges: dict[str, tuple[float, float]], source: str, rules: tuple[Rule, ...]
) -> Scenario:
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
            discrete=s.discrete,
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
                walkout_after=p.walkout_after,
                front_sensitivity=p.front_sensitivity,
                voice_on=tuple(p.voice_on or p.must_agree_on or [i.id for i in issues]),
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
        sources=tuple(entry if isinstance(entry, str) else entry["name"] for entry in header.sources),
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
        breakdown_risk=header.breakdown_risk,
        start_date=header.start_date,
        round_days=header.round_days,
        mediator_lean=dict(header.mediator_lean),
        mediator_misperception=header.mediator_misperception,
        battlefield=_battlefield(spec, issues),
        events=tuple(_event(e, header) for e in spec.events),
        source=source,
        data=data,
        ranges=ranges,
        sha256=canonical_sha256(data),
        rules=rules,
        as_of=header.as_of,
        source_dates=tuple(None if isinstance(entry, str) else entry.get("date") for entry in header.sources),
    )


def _battlefield(spec: ScenarioSpec, issues: tuple[Issue, ...]) -> Battlefield | None:
    b = spec.battlefield
    if b is None:
        return None
    issue = next(i for i in issues if i.id == b.issue)
    start = b.start if b.start is not None else issue.min
    return Battlefield(b.issue, start, b.drift, b.volatility, b.jump_rate, b.jump_size)


def round_of_date(date: str, start_date: str, round_days: float) -> int:
    """The first round on or after ``date``: round r is ``start_date + r * round_days`` days."""
    days = (dt.date.fromisoformat(date) - dt.date.fromisoformat(start_date)).days
    return max(1, math.ceil(days / round_days - 1e-9))


def date_of_round(round_: int, start_date: str, round_days: float) -> str:
    """The calendar date of round ``round_`` (round 0 is ``start_date``), ISO format."""
    return (dt.date.fromisoformat(start_date) + dt.timedelta(days=round_ * round_days)).isoformat()


def _event(spec: EventSpec, header: HeaderSpec) -> Event:
    dated = spec.round is None
    return Event(
        label=spec.label,
        round=round_of_date(spec.date, header.start_date, header.round_days) if dated else spec.round,
        set=dict(spec.set),
        shift=dict(spec.shift),
        probability=spec.probability,
        source=spec.source,
        date=spec.date,
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
