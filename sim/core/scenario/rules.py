"""Rules that span fields of a scenario file, one small function each.

A rule reads the raw tables (so that every problem of a file shows at once,
even when single fields are wrong too) through a :class:`RuleContext` and
returns the problems it finds, one line each. :data:`RULES` lists the rules
of the file format; the protocols add their own (see
:func:`sim.protocols.scenario_rules`), so this package does not know the
protocol list.

The same rules check every sample of a sweep's design at once
(:func:`sim.core.scenario.samples.check_samples`): there, a number the design
varies is a numpy array with one entry per sample. A rule works for both when
it tests numbers with :func:`is_number`, compares them with operators that
work on arrays (``<``, ``|``, ``&``; not ``and``/``or``/chained ``a < b < c``)
and records problems with ``ctx.bad(path, message, when, **values)``: ``when``
is a bool for a file, an array for a design (the first sample where it holds
is reported), and ``message`` a template filled from ``values`` at that
sample. A rule written otherwise still works on designs (it is run sample by
sample, slowly), never silently skipped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, reduce
from typing import Any

import numpy as np

from sim.core.errors import Problem
from sim.core.scenario.fields import is_identifier, is_name, parse_date
from sim.core.scenario.messages import OPENING_RULES
from sim.core.scenario.paths import kernel_target
from sim.core.schema import PATH_ROUND, control_characters, limit, shown, strategy_names

__all__ = [
    "RULES",
    "Rule",
    "RuleContext",
    "battlefield_rules",
    "calendar_rules",
    "check_rules",
    "coalition_rules",
    "discrete_rules",
    "event_rules",
    "guarantor_rules",
    "header_rules",
    "is_number",
    "issue_rules",
    "look_ahead_problems",
    "mediator_rules",
    "opening_rules",
    "path_rules",
    "preference_rules",
    "ratification_rules",
    "red_line_rules",
    "strategy_rules",
    "table_rules",
    "voice_rules",
]


def is_number(value: Any) -> bool:
    """A finite int or float (booleans are not numbers), or a design's column of numbers (an array)."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iuf"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _table(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _at(value: Any, sample: int | None) -> Any:
    """A value of one sample (a column's entry; a fixed value as it is)."""
    if isinstance(value, np.ndarray):
        value = value[sample] if value.ndim and sample is not None else value
        return value.item() if isinstance(value, np.ndarray | np.generic) else value
    return value


def every(conditions: list[Any]) -> Any:
    """``c1 & c2 & ...`` of bools or per-sample arrays (True for none)."""
    return reduce(lambda a, b: a & b, conditions, True)


@dataclass
class RuleContext:
    """The raw tables of one file and helpers that phrase the usual problems.

    Attributes:
        data: The file's tables (ranges already resolved to their points).
        source: The file name used in messages.
    """

    data: Mapping[str, Any]
    source: str
    found: list[Problem] = field(default_factory=list)
    describe: Callable[[int], str] | None = None
    """In a design check: names sample k and its varied values (appended to each problem, in brackets)."""

    @property
    def issues(self) -> dict:
        """``[issues.*]`` tables (empty when missing or not a table)."""
        return _table(self.data.get("issues"))

    @property
    def parties(self) -> dict:
        """``[parties.*]`` tables that are tables."""
        return {pid: p for pid, p in _table(self.data.get("parties")).items() if isinstance(p, dict)}

    @property
    def header(self) -> dict:
        """The ``[scenario]`` table."""
        return _table(self.data.get("scenario"))

    @property
    def mediator(self) -> str | None:
        """The mediator's party id: ``scenario.mediator``, else a party ``us``, else None."""
        named = self.header.get("mediator")
        if named is not None:
            return named if isinstance(named, str) else None
        return "us" if "us" in self.parties else None

    @cached_property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """``(min, max)`` of every issue whose min and max are numbers with min < max."""
        out = {}
        for iid, issue in self.issues.items():
            lo, hi = (issue.get("min"), issue.get("max")) if isinstance(issue, dict) else (None, None)
            if is_number(lo) and is_number(hi) and lo < hi:
                out[iid] = (lo, hi)
        return out

    def bad(self, path: str, message: str, when: Any = True, **values: Any) -> bool:
        """Record a problem with the field at ``path`` where ``when`` holds; whether one was recorded.

        Args:
            path: Dotted path of the field.
            message: What is wrong; with ``values``, a template whose
                ``{name}`` fields are filled from them (at the first sample
                where ``when`` holds, in a design check).
            when: A bool, or one bool per sample of a design.
            **values: Values quoted in the message.
        """
        mask = np.asarray(when)
        sample = None
        if mask.ndim:
            hits = np.flatnonzero(mask)
            if not hits.size:
                return False
            sample = int(hits[0])
        elif not mask:
            return False
        if values:
            message = message.format(**{name: _at(value, sample) for name, value in values.items()})
        if sample is not None and self.describe is not None:
            message = f"{message} ({self.describe(sample)})"
        self.found.append(Problem(self.source, path, message))
        return True

    def take(self) -> list[Problem]:
        """The problems recorded so far (and forget them)."""
        found, self.found = self.found, []
        return found

    def first(self, path: str, checks: list[tuple[Any, str]], **values: Any) -> bool:
        """Record one problem at ``path``: the first of ``checks`` ``(when, message)`` at the earliest sample."""
        masks = [np.asarray(when) for when, _ in checks]
        if all(mask.ndim == 0 for mask in masks):
            return any(self.bad(path, message, when, **values) for when, message in checks if bool(when))
        rows = max(mask.size for mask in masks)
        stacked = np.stack([np.broadcast_to(mask, (rows,)) for mask in masks])
        hits = np.flatnonzero(stacked.any(axis=0))
        if not hits.size:
            return False
        sample = int(hits[0])
        check = int(np.flatnonzero(stacked[:, sample])[0])
        only = np.zeros(rows, dtype=bool)
        only[sample] = True
        return self.bad(path, checks[check][1], only, **values)

    def known_issue(self, path: str, iid: str) -> bool:
        """Whether ``iid`` names an issue; records a problem when not."""
        if iid not in self.issues:
            self.bad(path, f"unknown issue {iid!r}; issues: {', '.join(self.issues) or 'none'}")
            return False
        return True

    def in_bounds(self, path: str, iid: str, value: Any) -> None:
        """A position on issue ``iid``: a known issue, inside its min..max."""
        if not self.known_issue(path, iid):
            return
        if iid in self.bounds and is_number(value):
            lo, hi = self.bounds[iid]
            self.bad(
                path,
                f"must be in [{lo:g}, {hi:g}] (the issue's min..max); got {{value}}",
                (value < lo) | (value > hi),
                value=value,
            )

    def bounds_table(self, path: str, iid: str, line: Any) -> bool:
        """A ``{min, max}`` table on an issue: known issue, inside its range, min <= max."""
        if iid not in self.issues:
            self.bad(path, f"unknown issue {iid!r}; issues: {', '.join(self.issues)}")
            return False
        if not isinstance(line, dict):
            return False
        lo, hi = line.get("min"), line.get("max")
        for key, value in (("min", lo), ("max", hi)):
            if is_number(value):
                self.in_bounds(f"{path}.{key}", iid, value)
        if is_number(lo) and is_number(hi):
            self.bad(path, "min must be <= max; got min {lo} > max {hi}", lo > hi, lo=lo, hi=hi)
        return True

    def round_path(self, where: str, path: Any, low: float, high: float, what: str) -> None:
        """A ``[[round, value], ...]`` path: increasing rounds from 0, values in ``[low, high]``."""
        if not isinstance(path, list):
            return
        last: Any = -1.0
        alive: Any = True  # per sample: no problem with the rounds so far (a file stops at the first)
        for k, point in enumerate(path):
            if not (isinstance(point, list) and len(point) == 2 and all(is_number(v) for v in point)):
                self.bad(f"{where}[{k}]", "each point must be [round, value]")
                return
            r, v = point
            order, late = (r < 0) | (r <= last), r > PATH_ROUND.high
            self.first(
                f"{where}[{k}]",
                [
                    (alive & order, "rounds must be >= 0 and increasing; got {r} after {last:g}"),
                    (alive & late, f"rounds must be <= {PATH_ROUND.high:_.0f}; got {{r}}"),
                    (alive & ((v < low) | (v > high)), f"{what} must be in [{low:g}, {high:g}]; got {{v}}"),
                ],
                r=r,
                last=last,
                v=v,
            )
            alive = np.logical_and(alive, np.logical_not(np.logical_or(order, late)))
            if not np.any(alive):
                return
            last = r
        if not path:
            self.bad(where, "needs at least one [round, value] point")


Rule = Callable[[RuleContext], list[Problem]]
"""A rule: the problems it finds in one file."""


def table_rules(ctx: RuleContext) -> list[Problem]:
    """At least one issue and two parties, with identifiers as ids."""
    if isinstance(ctx.data.get("issues"), dict) and not ctx.issues:
        ctx.bad("issues", "needs at least one issue")
    raw_parties = ctx.data.get("parties")
    if isinstance(raw_parties, dict) and len(raw_parties) < 2:
        ctx.bad("parties", f"needs at least two parties; got {len(raw_parties)}")
    chars = limit("name_chars").value
    for iid in ctx.issues:
        if not is_identifier(iid):
            ctx.bad(f"issues.{iid}", f"issue id must be an identifier (letters, digits, _; at most {chars})")
    for pid in _table(raw_parties):
        if not is_identifier(pid):
            ctx.bad(f"parties.{pid}", f"party id must be an identifier (letters, digits, _; at most {chars})")
    for cid in _table(ctx.data.get("coalitions")):
        if not is_identifier(cid):
            ctx.bad(f"coalitions.{cid}", f"coalition id must be an identifier (letters, digits, _; at most {chars})")
    return ctx.take()


def issue_rules(ctx: RuleContext) -> list[Problem]:
    """Each issue: min < max, a grid step no wider than the scale, levels inside it."""
    for iid, issue in ctx.issues.items():
        if not isinstance(issue, dict):
            continue
        lo, hi = issue.get("min"), issue.get("max")
        if is_number(lo) and is_number(hi) and lo >= hi:
            ctx.bad(f"issues.{iid}.max", f"must be greater than min ({lo}); got {hi}")
        step = issue.get("step")
        if iid in ctx.bounds and is_number(step) and step > 0:
            ctx.bad(
                f"issues.{iid}.step", f"must be in (0, {hi - lo}] (max - min); got {{step}}", step > hi - lo, step=step
            )
            grid = limit("grid_points")
            points = (hi - lo) / step + 1
            ctx.bad(
                f"issues.{iid}.step", f"too fine: {grid.message('{points:.3g}')}", points > grid.value, points=points
            )
        for key in _table(issue.get("levels")):
            try:
                level = float(key)
            except ValueError:
                ctx.bad(f"issues.{iid}.levels.{key}", "level keys must be numbers written as text")
                continue
            if iid in ctx.bounds and not ctx.bounds[iid][0] <= level <= ctx.bounds[iid][1]:
                ctx.bad(f"issues.{iid}.levels.{key}", f"level must lie in [{ctx.bounds[iid][0]}, {ctx.bounds[iid][1]}]")
    return ctx.take()


def preference_rules(ctx: RuleContext) -> list[Problem]:
    """Ideals and saliences for every issue (ideals inside it), some salience > 0, curvature on known issues."""
    for pid, party in ctx.parties.items():
        for key in ("ideal", "salience"):
            table = party.get(key)
            if not isinstance(table, dict):
                continue
            for iid in ctx.issues:
                if iid not in table:
                    ctx.bad(f"parties.{pid}.{key}.{iid}", f"missing; every party needs a {key} for every issue")
            for iid, value in table.items():
                if key == "ideal":
                    ctx.in_bounds(f"parties.{pid}.ideal.{iid}", iid, value)
                elif iid not in ctx.issues:
                    ctx.bad(f"parties.{pid}.salience.{iid}", f"unknown issue {iid!r}; issues: {', '.join(ctx.issues)}")
            if key == "salience" and table and all(is_number(v) for v in table.values()):
                zero = every([v == 0 for v in table.values()])
                ctx.bad(f"parties.{pid}.salience", "at least one salience must be > 0", zero)
        for iid in _table(party.get("curvature")):
            if iid not in ctx.issues:
                ctx.bad(f"parties.{pid}.curvature.{iid}", f"unknown issue {iid!r}; issues: {', '.join(ctx.issues)}")
    return ctx.take()


def red_line_rules(ctx: RuleContext) -> list[Problem]:
    """Red lines on known issues, inside them, min <= max, and never excluding the party's own ideal."""
    for pid, party in ctx.parties.items():
        ideal = _table(party.get("ideal"))
        for iid, line in _table(party.get("red_lines")).items():
            if not ctx.bounds_table(f"parties.{pid}.red_lines.{iid}", iid, line):
                continue
            lo, hi, x = line.get("min"), line.get("max"), ideal.get(iid)
            if not is_number(x):
                continue
            outside = (x < lo if is_number(lo) else False) | (x > hi if is_number(hi) else False)
            shown_lo, shown_hi = ("{lo}" if is_number(lo) else "min"), ("{hi}" if is_number(hi) else "max")
            ctx.bad(
                f"parties.{pid}.ideal.{iid}",
                f"lies outside the party's own red line on {iid} ([{shown_lo}, {shown_hi}]); got {{x}}",
                outside,
                x=x,
                lo=lo,
                hi=hi,
            )
    return ctx.take()


def strategy_rules(ctx: RuleContext) -> list[Problem]:
    """A party's strategy is one of the known names."""
    names = strategy_names()
    for pid, party in ctx.parties.items():
        strategy = party.get("strategy")
        if isinstance(strategy, str) and strategy not in names:
            ctx.bad(f"parties.{pid}.strategy", f"must be one of {', '.join(names)}; got {strategy!r}")
    return ctx.take()


def path_rules(ctx: RuleContext) -> list[Problem]:
    """No-deal lines inside their issue; walk-away paths in [0, 1], never together with a drift."""
    for iid, issue in ctx.issues.items():
        if isinstance(issue, dict) and iid in ctx.bounds:
            ctx.round_path(f"issues.{iid}.no_deal_path", issue.get("no_deal_path"), *ctx.bounds[iid], "the value")
    for pid, party in ctx.parties.items():
        ctx.round_path(f"parties.{pid}.walkaway_path", party.get("walkaway_path"), 0.0, 1.0, "walk-away values")
        drift = party.get("walkaway_drift", 0)
        if party.get("walkaway_path") is not None and is_number(drift):
            ctx.bad(f"parties.{pid}.walkaway_path", "give walkaway_drift or walkaway_path, not both", drift != 0)
    return ctx.take()


def guarantor_rules(ctx: RuleContext) -> list[Problem]:
    """``must_agree_on`` names at least one known issue."""
    for pid, party in ctx.parties.items():
        agree = party.get("must_agree_on")
        if not isinstance(agree, list):
            continue
        if not agree:
            ctx.bad(f"parties.{pid}.must_agree_on", "must name at least one issue (omit it for every issue)")
        for iid in agree:  # entries that are not strings are refused by their field
            if isinstance(iid, str) and iid not in ctx.issues:
                ctx.bad(f"parties.{pid}.must_agree_on", f"unknown issue {shown(iid)}; issues: {', '.join(ctx.issues)}")
    return ctx.take()


def ratification_rules(ctx: RuleContext) -> list[Problem]:
    """A win-set says something (bounds, min_utility or logistic); its bounds are valid ranges of issues."""
    for pid, party in ctx.parties.items():
        rat = party.get("ratification")
        if not isinstance(rat, dict):
            continue
        if not any(k in rat for k in ("bounds", "min_utility", "logistic")):
            ctx.bad(f"parties.{pid}.ratification", "give bounds, min_utility and/or logistic")
        for iid, line in _table(rat.get("bounds")).items():
            ctx.bounds_table(f"parties.{pid}.ratification.bounds.{iid}", iid, line)
    return ctx.take()


def coalition_rules(ctx: RuleContext) -> list[Problem]:
    """A coalition has two or more different known parties; a party joins one coalition."""
    membership: dict[str, str] = {}
    parties = _table(ctx.data.get("parties"))
    for cid, coalition in _table(ctx.data.get("coalitions")).items():
        if not isinstance(coalition, dict) or not isinstance(coalition.get("members"), list):
            continue
        members = [m for m in coalition["members"] if isinstance(m, str)]  # others are refused by their field
        where = f"coalitions.{cid}.members"
        if len(members) < 2 or len(set(members)) != len(members):
            ctx.bad(where, "must name at least two different parties")
        for pid in members:
            if pid not in parties:
                ctx.bad(where, f"unknown party {shown(pid)}; parties: {', '.join(parties)}")
            elif pid in membership:
                ctx.bad(where, f"{pid} is already in coalition {membership[pid]}; a party joins one coalition")
            else:
                membership[pid] = cid
    return ctx.take()


def header_rules(ctx: RuleContext) -> list[Problem]:
    """The name names a folder; known choices; the mediator, its bias and the main parties name parties."""
    header, parties = ctx.header, _table(ctx.data.get("parties"))
    name = header.get("name")
    chars = limit("name_chars").value
    if isinstance(name, str) and not is_name(name) and len(name) <= chars and not control_characters(name):
        ctx.bad(
            "scenario.name",
            f"must be letters, digits, '-', '_' or '.', at most {chars} (it names a folder); got {shown(name)}",
        )
    failure = header.get("ratification_failure")
    if isinstance(failure, str) and failure not in ("continue", "end"):
        ctx.bad("scenario.ratification_failure", f"must be continue or end; got {shown(failure)}")
    mediator = header.get("mediator")
    if isinstance(mediator, str) and mediator not in parties:
        ctx.bad("scenario.mediator", f"must be a party id ({', '.join(parties)}); got {shown(mediator)}")
    for pid in _table(header.get("mediator_bias")):
        if pid not in parties:
            ctx.bad(f"scenario.mediator_bias.{pid}", f"unknown party; parties: {', '.join(parties)}")
    main = header.get("main_parties")
    if isinstance(main, list):
        main = [pid for pid in main if isinstance(pid, str)]  # others are refused by their field
        if len(main) != 2 or len(set(main)) != 2:
            ctx.bad("scenario.main_parties", "must name two different parties")
        for pid in main:
            if pid not in parties:
                ctx.bad("scenario.main_parties", f"must name parties ({', '.join(parties)}); got {shown(pid)}")
    return ctx.take()


def opening_rules(ctx: RuleContext) -> list[Problem]:
    """The opening text: a known rule, or a value inside every issue."""
    opening = ctx.header.get("opening")
    if isinstance(opening, str) and opening not in OPENING_RULES:
        ctx.bad(
            "scenario.opening",
            f"must be one of {', '.join(OPENING_RULES)} or a table {{issue = value}}; got {shown(opening)}",
        )
    elif opening == "mediator" and ctx.mediator is None:
        ctx.bad(
            "scenario.opening",
            "is mediator, but the scenario has no mediator: name one (scenario.mediator) or use compromise",
        )
    elif isinstance(opening, dict):
        for iid in ctx.issues:
            if iid not in opening:
                ctx.bad(f"scenario.opening.{iid}", "missing; an opening text needs every issue")
        for iid, value in opening.items():
            ctx.in_bounds(f"scenario.opening.{iid}", iid, value)
    return ctx.take()


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def calendar_rules(ctx: RuleContext) -> list[Problem]:
    """``start_date`` is a date (YYYY-MM-DD) and comes with ``round_days``, and the other way round."""
    start, days = ctx.header.get("start_date"), ctx.header.get("round_days")
    if start is not None and _date(start) is None:
        ctx.bad("scenario.start_date", f"must be a date written YYYY-MM-DD; got {start!r}")
    if (start is None) != (days is None):
        missing = "round_days" if days is None else "start_date"
        ctx.bad(f"scenario.{missing}", "missing; a calendar needs both start_date and round_days")
    return ctx.take()


def discrete_rules(ctx: RuleContext) -> list[Problem]:
    """A discrete issue has two or more labelled levels and no grid step."""
    for iid, issue in ctx.issues.items():
        if not isinstance(issue, dict) or issue.get("discrete") is not True:
            continue
        levels = issue.get("levels")
        if not isinstance(levels, dict) or len(levels) < 2:
            ctx.bad(f"issues.{iid}.discrete", "needs levels: at least two labelled options")
        if issue.get("step") is not None:
            ctx.bad(f"issues.{iid}.step", "give step or discrete levels, not both")
    return ctx.take()


def voice_rules(ctx: RuleContext) -> list[Problem]:
    """``voice_on`` names at least one known issue."""
    for pid, party in ctx.parties.items():
        voice = party.get("voice_on")
        if not isinstance(voice, list):
            continue
        if not voice:
            ctx.bad(f"parties.{pid}.voice_on", "must name at least one issue (omit it for the issues it signs for)")
        for iid in voice:
            if iid not in ctx.issues:
                ctx.bad(f"parties.{pid}.voice_on", f"unknown issue {iid!r}; issues: {', '.join(ctx.issues)}")
    return ctx.take()


def mediator_rules(ctx: RuleContext) -> list[Problem]:
    """The mediator leans toward known parties, and toward one party at most."""
    lean = _table(ctx.header.get("mediator_lean"))
    parties = _table(ctx.data.get("parties"))
    for pid in lean:
        if pid not in parties:
            ctx.bad(f"scenario.mediator_lean.{pid}", f"unknown party; parties: {', '.join(parties)}")
    leans = {pid: np.asarray(b) > 0 for pid, b in lean.items() if is_number(b)}  # one bool per sample in a design
    if len(leans) > 1:
        shape = np.broadcast(*leans.values()).shape
        masks = {pid: np.broadcast_to(m, shape) for pid, m in leans.items()}
        several = sum(m.astype(int) for m in masks.values()) > 1
        if np.any(several):
            first = np.unravel_index(int(np.flatnonzero(several)[0]), shape) if shape else ()
            leaning = ", ".join(pid for pid, m in masks.items() if m[first])
            ctx.bad("scenario.mediator_lean", f"a mediator leans toward one party at most; got {leaning}", several)
    return ctx.take()


def battlefield_rules(ctx: RuleContext) -> list[Problem]:
    """The front is tied to a known issue without a no_deal_path, and starts inside it."""
    front = ctx.data.get("battlefield")
    if not isinstance(front, dict):
        return []
    iid = front.get("issue")
    if isinstance(iid, str) and ctx.known_issue("battlefield.issue", iid):
        if isinstance(ctx.issues[iid], dict) and ctx.issues[iid].get("no_deal_path") is not None:
            ctx.bad("battlefield.issue", f"{iid} has a no_deal_path; the front replaces it (remove one)")
        if is_number(front.get("start")):
            ctx.in_bounds("battlefield.start", iid, front["start"])
    return ctx.take()


def _event_round(ctx: RuleContext, where: str, event: dict) -> Any:
    """The round an event falls in (from its round or its date); records problems with either."""
    if ("round" in event) == ("date" in event):
        ctx.bad(where, "give round or date (one of them)")
    date = event.get("date")
    if date is None:
        return event.get("round")
    start, days, day = _date(ctx.header.get("start_date")), ctx.header.get("round_days"), _date(date)
    if day is None:
        ctx.bad(f"{where}.date", f"must be a date written YYYY-MM-DD; got {date!r}")
    elif start is None or not is_number(days) or days <= 0:
        ctx.bad(f"{where}.date", "needs a calendar: scenario.start_date and scenario.round_days")
    elif day < start:
        ctx.bad(f"{where}.date", f"must be on or after scenario.start_date ({start}); got {date}")
    else:
        return max(1, math.ceil((day - start).days / days - 1e-9))
    return None


def _event_changes(ctx: RuleContext, where: str, event: dict) -> None:
    """An event sets or shifts numbers with a kernel slot, each set value allowed there."""
    if not _table(event.get("set")) and not _table(event.get("shift")):
        ctx.bad(where, "sets or shifts nothing; give set = {path = value} and/or shift = {path = amount}")
    front = _table(ctx.data.get("battlefield")).get("issue")
    for mode in ("set", "shift"):
        for path, value in _table(event.get(mode)).items():
            at = f"{where}.{mode}.{path}"
            target = kernel_target(path, list(ctx.parties), list(ctx.issues), front)
            if isinstance(target, str):
                detail = target if target.startswith("unknown") else "no number an event can change"
                ctx.bad(at, f"{detail}; an event changes numbers a sweep can vary")
            elif target.category is not None:
                ctx.bad(at, "an event changes numbers, not names")
            elif mode == "set" and is_number(value):
                if target.unit == "position":
                    ctx.in_bounds(at, list(ctx.issues)[target.issue], value)
                elif target.unit == "number" and not target.domain.contains(value):
                    ctx.bad(at, target.domain.message(value))


def event_rules(ctx: RuleContext) -> list[Problem]:
    """Each event falls in a round in [1, rounds] (by round or calendar date) and sets or shifts kernel numbers."""
    events = ctx.data.get("events")
    rounds = ctx.header.get("rounds")
    for k, event in enumerate(events if isinstance(events, list) else []):
        if not isinstance(event, dict):
            continue
        when = _event_round(ctx, f"events[{k}]", event)
        if is_number(when) and is_number(rounds) and when > rounds:
            ctx.bad(f"events[{k}]", f"falls in round {when:g}, past the round limit ({rounds})")
        _event_changes(ctx, f"events[{k}]", event)
    return ctx.take()


RULES: tuple[Rule, ...] = (
    table_rules,
    issue_rules,
    preference_rules,
    red_line_rules,
    strategy_rules,
    path_rules,
    guarantor_rules,
    ratification_rules,
    coalition_rules,
    header_rules,
    opening_rules,
    calendar_rules,
    discrete_rules,
    voice_rules,
    mediator_rules,
    battlefield_rules,
    event_rules,
)
"""The rules of the scenario file format, in the order their problems are listed."""


def check_rules(data: Mapping[str, Any], source: str, rules: tuple[Rule, ...] = RULES) -> list[Problem]:
    """Every problem the rules find in one file's tables."""
    ctx = RuleContext(data, source)
    return [problem for rule in rules for problem in rule(ctx)]


def look_ahead_problems(data: Mapping[str, Any], source: str) -> list[Problem]:
    """Sources the scenario could not have known on its ``as_of`` date, and sources without a date.

    Not a rule of the file format: ``negsim validate`` reports these as
    warnings (errors with ``--strict``). Without ``as_of`` there is nothing
    to check against and nothing is reported.

    Args:
        data: The file's tables.
        source: The file name used in messages.

    Returns:
        One problem per source dated after ``as_of`` and per undated source.
    """
    header = _table(data.get("scenario"))
    as_of = parse_date(header.get("as_of"))
    sources = header.get("sources")
    if as_of is None or not isinstance(sources, list):
        return []
    problems = []
    for k, entry in enumerate(sources):
        path = f"scenario.sources.{k}"
        date = parse_date(entry.get("date")) if isinstance(entry, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else entry
        if date is None:
            problems.append(
                Problem(
                    source,
                    path,
                    f'undated ({name!r}); write {{ name = ..., date = "YYYY-MM-DD" }} so it can be checked '
                    f"against as_of {as_of.isoformat()}",
                )
            )
        elif date > as_of:
            problems.append(
                Problem(
                    source,
                    path,
                    f"dated {date.isoformat()}, after as_of {as_of.isoformat()} ({name!r}): the scenario would use "
                    "what was not known on its date (look-ahead)",
                )
            )
    return problems
