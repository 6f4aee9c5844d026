"""Rounds and dates: a scenario's calendar (``start_date``, ``round_days``).

Round ``r`` of a scenario with a calendar falls on ``start_date + r *
round_days`` days (round 0 is the start). A deal "by" a date is a deal in a
round that falls on or before it. Scenarios without both keys have no
calendar; whatever needs dates says so in one line.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sim.core.errors import UserError
from sim.core.scenario import Scenario

__all__ = ["Calendar", "calendar_of", "parse_date", "require_calendar"]


def parse_date(text: Any, where: str, field: str = "") -> dt.date:
    """A ``YYYY-MM-DD`` date.

    Raises:
        UserError: Naming ``where`` and ``field`` when ``text`` is not such a date.
    """
    if isinstance(text, dt.date) and not isinstance(text, dt.datetime):
        return text
    if isinstance(text, str) and len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise UserError.at(where, field, f"must be a date written YYYY-MM-DD; got {text!r}")


@dataclass(frozen=True)
class Calendar:
    """The dates of a scenario's rounds.

    Attributes:
        start: The date of round 0.
        round_days: Days per round (> 0).
    """

    start: dt.date
    round_days: float

    def date_of(self, round_: int) -> dt.date:
        """The date round ``round_`` falls on (whole days, rounded down)."""
        return self.start + dt.timedelta(days=math.floor(round_ * self.round_days + 1e-9))

    def last_round_by(self, date: dt.date) -> int:
        """The last round on or before ``date`` (-1 when the date is before the start)."""
        days = (date - self.start).days
        return math.floor(days / self.round_days + 1e-9)


def _header_value(scenario: Scenario, key: str) -> Any:
    """A header key read defensively: the scenario's attribute, else its file data."""
    value = getattr(scenario, key, None)
    if value is None:
        header = scenario.data.get("scenario", {}) if isinstance(scenario.data, dict) else {}
        value = header.get(key) if isinstance(header, dict) else None
    return value


def calendar_of(scenario: Scenario) -> Calendar | None:
    """The scenario's calendar, or None without ``start_date`` and ``round_days``.

    Raises:
        UserError: When the keys are there but not a date and a positive number.
    """
    start, days = _header_value(scenario, "start_date"), _header_value(scenario, "round_days")
    if start is None and days is None:
        return None
    if start is None or days is None:
        missing = "start_date" if start is None else "round_days"
        raise UserError.at(
            scenario.source, f"scenario.{missing}", "missing; a calendar needs start_date and round_days"
        )
    date = parse_date(start, scenario.source, "scenario.start_date")
    if isinstance(days, bool) or not isinstance(days, int | float) or not days > 0:
        raise UserError.at(scenario.source, "scenario.round_days", f"must be a number > 0; got {days!r}")
    return Calendar(date, float(days))


def require_calendar(scenario: Scenario, flag: str) -> Calendar:
    """The scenario's calendar, or one line saying that ``flag`` needs one."""
    calendar = calendar_of(scenario)
    if calendar is None:
        raise UserError.at(
            flag,
            "",
            f"needs a calendar: {scenario.source} has no scenario.start_date (YYYY-MM-DD) and scenario.round_days",
        )
    return calendar
