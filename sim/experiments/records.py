"""Record files: what was observed after a scenario's date, to score its forecast against.

A record is a TOML file (``scenarios/records/<scenario>.toml``)::

    [record]
    scenario = "istanbul-2022"          # the scenario's name
    sources = ["...", "..."]            # where the observations come from
    start_date = "2022-02-28"           # optional: the calendar of a scenario without one
    round_days = 7
    [[observed]]
    date = "2022-05-17"
    deal = false                        # no agreement signed by this date
    source = "..."                      # optional, per observation
    reported = "2022-05-17"             # optional: when it was reported
    [[observed]]
    date = "2022-04-15"
    issue = "army_cap"
    value = 250                         # a value tabled or agreed, with who held it
    held_by = ["ukraine"]

An observation is either about the deal (``deal``) or about an issue
(``issue``, ``value``, ``held_by``). No look-ahead: every observation, and
when it was reported, falls after the scenario's date (its ``as_of`` when it
has one, else the start of its calendar). Every problem is reported at once,
one line each, naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.core.errors import Problem, UserError
from sim.core.scenario import Scenario
from sim.core.scenario.fields import Positive, Real, SourceText, Strict, Text
from sim.core.scenario.messages import pydantic_problems
from sim.core.tomlfile import read_toml
from sim.experiments.calendar import Calendar, calendar_of

__all__ = ["Observation", "Record", "load_record", "record_from_dict"]


class RecordHeaderSpec(Strict):
    """The ``[record]`` table."""

    scenario: Text
    sources: list[SourceText] = []
    start_date: Any = None
    round_days: Positive | None = None
    note: SourceText = ""


class ObservationSpec(Strict):
    """One ``[[observed]]`` entry."""

    date: Any
    deal: Any = None
    issue: Text | None = None
    value: Real | None = None
    held_by: list[Text] | None = None
    source: SourceText = ""
    reported: Any = None


class RecordSpec(Strict):
    """A whole record file."""

    record: RecordHeaderSpec
    observed: list[ObservationSpec]


@dataclass(frozen=True)
class Observation:
    """One thing observed.

    Attributes:
        date: When it held (a deal by then, or a value tabled then).
        deal: Whether an agreement was signed by ``date`` (None for an issue observation).
        issue: The issue of a value (None for a deal observation).
        value: The value tabled or agreed, in the issue's units.
        held_by: The parties who held it (all of them: agreed).
        source: Where it is reported.
        reported: When it was reported (None: not said).
    """

    date: dt.date
    deal: bool | None = None
    issue: str | None = None
    value: float | None = None
    held_by: tuple[str, ...] = ()
    source: str = ""
    reported: dt.date | None = None


@dataclass(frozen=True)
class Record:
    """A validated record file.

    Attributes:
        scenario: The scenario's name.
        sources: The record's sources.
        observations: What was observed, in file order.
        calendar: The calendar to read dates with (the scenario's, else the record's).
        source: The file.
        note: Free text (e.g. what the score can and cannot say).
    """

    scenario: str
    sources: tuple[str, ...]
    observations: tuple[Observation, ...]
    calendar: Calendar
    source: str
    note: str = ""


def _date(value: Any, problems: list[Problem], source: str, field: str) -> dt.date | None:
    """A date written ``"YYYY-MM-DD"`` (or as a TOML date)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(source, field, f"must be a date written YYYY-MM-DD; got {value!r}"))
    return None


def _as_of(scenario: Scenario) -> tuple[dt.date | None, str]:
    """The scenario's date for look-ahead checks: ``as_of`` when it has one, else its calendar's start."""
    header = scenario.data.get("scenario", {}) if isinstance(scenario.data, dict) else {}
    as_of = getattr(scenario, "as_of", None) or (header.get("as_of") if isinstance(header, dict) else None)
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of), "its as_of"
        except ValueError:
            pass
    calendar = calendar_of(scenario)
    return (calendar.start, "its start_date") if calendar else (None, "")


def record_from_dict(data: dict, scenario: Scenario, source: str = "<record>") -> Record:
    """Validate record data against its scenario (see the module doc).

    Raises:
        UserError: Listing every problem found.
    """
    try:
        spec = RecordSpec.model_validate(data)
    except ValidationError as exc:
        raise UserError(pydantic_problems(source, exc, RecordSpec)) from None
    problems: list[Problem] = []
    head = spec.record
    if head.scenario != scenario.name:
        problems.append(
            Problem(source, "record.scenario", f"names {head.scenario!r} but the scenario is {scenario.name!r}")
        )
    calendar = calendar_of(scenario)
    if calendar is None and head.start_date is not None and head.round_days is not None:
        start = _date(head.start_date, problems, source, "record.start_date")
        calendar = Calendar(start, float(head.round_days)) if start else None
    if calendar is None:
        problems.append(
            Problem(
                source,
                "record",
                "needs a calendar: the scenario has no start_date and round_days; give them in [record]",
            )
        )
    after, what = _as_of(scenario)
    if after is None and calendar is not None:
        after, what = calendar.start, "the record's start_date"
    observations = []
    for k, obs in enumerate(spec.observed):
        where = f"observed.{k}"
        date = _date(obs.date, problems, source, f"{where}.date")
        reported = _date(obs.reported, problems, source, f"{where}.reported") if obs.reported is not None else None
        for field, day in (("date", date), ("reported", reported)):
            if day is not None and after is not None and day <= after:
                problems.append(
                    Problem(
                        source, f"{where}.{field}", f"must be after the scenario's date ({what}, {after}); got {day}"
                    )
                )
        is_deal = obs.deal is not None
        is_issue = obs.issue is not None or obs.value is not None
        if is_deal == is_issue:
            problems.append(Problem(source, where, "give deal = true/false, or issue and value (one of them)"))
            continue
        if is_deal and not isinstance(obs.deal, bool):
            problems.append(Problem(source, f"{where}.deal", f"must be true or false; got {obs.deal!r}"))
            continue
        if is_issue:
            if obs.issue is None or obs.value is None:
                problems.append(Problem(source, where, "an issue observation needs issue and value"))
                continue
            if obs.issue not in scenario.issue_ids:
                problems.append(
                    Problem(
                        source,
                        f"{where}.issue",
                        f"unknown issue {obs.issue!r}; issues: {', '.join(scenario.issue_ids)}",
                    )
                )
                continue
            issue = scenario.issue(obs.issue)
            if not issue.min <= obs.value <= issue.max:
                problems.append(
                    Problem(source, f"{where}.value", f"must be in [{issue.min:g}, {issue.max:g}]; got {obs.value}")
                )
            for pid in obs.held_by or []:
                if pid not in scenario.party_ids:
                    problems.append(
                        Problem(
                            source,
                            f"{where}.held_by",
                            f"unknown party {pid!r}; parties: {', '.join(scenario.party_ids)}",
                        )
                    )
        if date is None:
            continue
        observations.append(
            Observation(
                date=date,
                deal=obs.deal if is_deal else None,
                issue=obs.issue,
                value=obs.value,
                held_by=tuple(obs.held_by or ()),
                source=obs.source,
                reported=reported,
            )
        )
    if problems:
        raise UserError(problems)
    assert calendar is not None
    return Record(head.scenario, tuple(head.sources), tuple(observations), calendar, source, head.note)


def load_record(path: str | Path, scenario: Scenario) -> Record:
    """Read and validate a record file against its scenario.

    Raises:
        UserError: Listing every problem found (one line each).
    """
    source = str(path)
    data = read_toml(path)  # size, encoding, syntax and nesting checked as for scenario files
    return record_from_dict(data, scenario, source)
