"""Forecasts: the distribution of outcomes, not one draw.

Most numbers in a scenario are judgements; a single run is one story.
:func:`forecast` runs N draws (default 2,000) of the scenario on the batched
engine, varying exactly

* every range written in the file (``{low, high[, value]}``), each drawn
  uniformly and independently (the ``montecarlo`` design of
  :mod:`sim.experiments.samplers`, seeded by the forecast's seed), and
* every random stream: each run gets its own seed (word i of
  ``SeedSequence(seed)``, as sweeps do), so the mediator's drafting noise and
  the ratification votes differ from run to run,

and nothing else. It reports P(deal) within the scenario's horizon and by
calendar dates, the deal's round and each issue's value as 10th/50th/90th
percentiles (each a value some run had: the inverted empirical CDF), each
party's utility at the end, how runs ended and the share of deals on each
option of a discrete issue. A date past the horizon runs the talks on until
that date (and says so); P(deal) itself counts deals within the horizon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from sim.core.errors import UserError
from sim.core.scenario import Issue, Scenario
from sim.core.slots import parameter_slot
from sim.core.streams import spawn_seeds
from sim.engine.endings import END_REASONS
from sim.experiments.calendar import Calendar, calendar_of, parse_date, require_calendar
from sim.experiments.rows import RunRows, run_rows
from sim.experiments.samplers import Parameter, make_design
from sim.protocols import resolve_protocol

__all__ = [
    "forecast_dates",
    "BAND",
    "DEFAULT_RUNS",
    "FAN",
    "Forecast",
    "forecast",
    "is_discrete",
    "option_shares",
    "percentiles",
    "range_draws",
]

DEFAULT_RUNS = 2000
BAND = (10, 50, 90)
"""The percentiles reported: an 80% band and the median."""
FAN = (10, 25, 50, 75, 90)
"""The percentiles of the fan charts."""


def percentiles(values: np.ndarray, qs: Sequence[int] = BAND) -> dict[str, float | None]:
    """``{"p10": ..., "p50": ..., "p90": ...}`` of the finite values (None when there are none).

    Each percentile is a value of the sample (the inverted empirical CDF), so
    a grid issue's band lies on its grid and a round is a whole round.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return {f"p{q}": None for q in qs}
    found = np.percentile(values, qs, method="inverted_cdf")
    return {f"p{q}": float(v) for q, v in zip(qs, found, strict=True)}


def is_discrete(issue: Issue) -> bool:
    """Whether deals on the issue take only its labelled levels (a flag of issue #12's discrete issues)."""
    return bool(getattr(issue, "discrete", False)) and bool(issue.levels)


def option_shares(issue: Issue, values: np.ndarray) -> dict[str, float]:
    """The share of ``values`` on each labelled level of ``issue`` (nearest level), in level order."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    levels = np.array(list(issue.levels))
    labels = list(issue.levels.values())
    if not len(values):
        return {label: 0.0 for label in labels}
    nearest = np.abs(values[:, None] - levels[None, :]).argmin(axis=1)
    counts = np.bincount(nearest, minlength=len(levels))
    return {label: float(c) / len(values) for label, c in zip(labels, counts, strict=True)}


def range_draws(scenario: Scenario, runs: int, seed: int) -> dict[str, np.ndarray]:
    """Uniform draws of every range written in the scenario, one value per run.

    Integer fields (``scenario.rounds``) are drawn as whole numbers, each equally likely.
    """
    paths = sorted(scenario.ranges)
    parameters = [Parameter(p, "uncertainty", *scenario.ranges[p]) for p in paths]
    design = make_design("montecarlo", parameters, runs, seed)
    draws = {}
    for path in paths:
        values = design.columns[path]
        if parameter_slot(scenario, path).domain.integer:
            low, high = scenario.ranges[path]
            share = (values - low) / (high - low) if high > low else np.zeros_like(values)
            values = np.minimum(np.floor(low + share * (high - low + 1)), high).astype(np.int64)
        draws[path] = values
    return draws


def _clean(value: float | None) -> float | None:
    """Round away float noise (12 significant digits) so JSON reads well and stays stable."""
    return None if value is None else float(f"{value:.12g}")


def _table(band: dict[str, float | None]) -> dict[str, float | None]:
    return {k: _clean(v) for k, v in band.items()}


@dataclass(frozen=True)
class Forecast:
    """N draws of one scenario and what they say (see the module doc).

    Attributes:
        scenario: The scenario.
        protocol: The protocol's name.
        seed: The forecast's seed (draws and per-run seeds derive from it).
        draws: The value of every range of the file in each run, ``{path: (N,)}``.
        seeds: Each run's seed, ``(N,)``.
        rows: What the runs gave, round by round.
        calendar: The scenario's calendar (None without one).
        by: The dates asked about.
    """

    scenario: Scenario
    protocol: str
    seed: int
    draws: dict[str, np.ndarray]
    seeds: np.ndarray
    rows: RunRows
    calendar: Calendar | None = None
    by: tuple[dt.date, ...] = field(default=())

    @property
    def runs(self) -> int:
        """Number of draws N."""
        return self.rows.runs

    @property
    def horizon(self) -> int:
        """The scenario's round limit (the largest, when ``scenario.rounds`` is a range)."""
        return int(self.rows.horizon.max())

    @property
    def rounds_run(self) -> int:
        """Rounds the talks were run to (past the horizon when a date needs it)."""
        return self.rows.text.shape[0] - 1

    @property
    def extended(self) -> bool:
        """Whether runs went on past the scenario's horizon for a date."""
        return self.rounds_run > self.horizon

    @cached_property
    def deal_in_horizon(self) -> np.ndarray:
        """Runs with a deal within their horizon, ``(N,)``."""
        rows = self.rows
        return rows.agreement & (rows.deal_round <= rows.horizon)

    @property
    def p_deal(self) -> float:
        """P(deal) within the scenario's horizon."""
        return float(self.deal_in_horizon.mean())

    def last_round_by(self, date: dt.date) -> int:
        """The last round on or before ``date`` (needs a calendar)."""
        assert self.calendar is not None
        return self.calendar.last_round_by(date)

    def p_deal_by(self, date: dt.date) -> float:
        """P(deal in a round on or before ``date``)."""
        last = self.last_round_by(date)
        return float((self.rows.agreement & (self.rows.deal_round <= last)).mean())

    @cached_property
    def time_to_deal(self) -> np.ndarray:
        """The share of runs with a deal by each round ``0 .. rounds_run``."""
        rows = self.rows
        rounds = np.arange(self.rounds_run + 1)
        struck = np.where(rows.agreement, rows.deal_round, np.iinfo(np.int64).max)
        return (struck[None, :] <= rounds[:, None]).mean(axis=1)

    @cached_property
    def deals(self) -> np.ndarray:
        """The deals struck within the horizon, ``(D, I)`` in issue units."""
        return self.rows.deal[self.deal_in_horizon]

    @cached_property
    def utility(self) -> np.ndarray:
        """Each party's utility at the horizon: of its deal, or its walk-away value, ``(N, P)``."""
        rows = self.rows
        if not self.extended:
            return rows.utility
        at = rows.horizon
        index = np.arange(self.runs)
        deal_u = rows.utility_by_round[at, index]
        walk = rows.walkaway_by_round[at, index]
        return np.where(self.deal_in_horizon[:, None], deal_u, walk)

    @cached_property
    def ended_by(self) -> np.ndarray:
        """How each run ended within its horizon (a deal or end past it counts as the round limit)."""
        rows = self.rows
        reason = rows.ended_by.copy()
        reason[rows.end_round > rows.horizon] = "round_limit"
        return reason

    def ended_shares(self) -> dict[str, float]:
        """The share of runs per ending, every reason listed."""
        return {reason: float((self.ended_by == reason).mean()) for reason in END_REASONS}

    def walkout_shares(self) -> dict[str, float]:
        """P(each party walks out) within the horizon."""
        within = self.rows.end_round <= self.rows.horizon
        out = self.rows.walked_out & within[:, None]
        return {pid: float(out[:, a].mean()) for a, pid in enumerate(self.scenario.party_ids)}

    def issue_band(self, issue_id: str) -> dict[str, float | None]:
        """The deal's 10th/50th/90th percentiles on one issue (deals within the horizon)."""
        return percentiles(self.deals[:, self.scenario.issue_ids.index(issue_id)])

    def fan(self, qs: Sequence[int] = FAN) -> np.ndarray:
        """Percentiles of the text on the table by round, ``(R + 1, len(qs), I)`` in issue units."""
        return np.percentile(self.rows.text, qs, axis=1, method="inverted_cdf").transpose(1, 0, 2)

    def bands(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per issue, the text's 10th, 50th and 90th percentiles by round (plain arrays, for figures)."""
        fan = self.fan(BAND)
        return {iid: (fan[:, 0, k], fan[:, 1, k], fan[:, 2, k]) for k, iid in enumerate(self.scenario.issue_ids)}

    @cached_property
    def identical(self) -> bool:
        """Whether every run came out the same (no ranges and no random draw that mattered)."""
        rows = self.rows
        same = np.all(rows.end_round == rows.end_round[0]) and np.all(rows.agreement == rows.agreement[0])
        return bool(same and np.allclose(rows.final_text, rows.final_text[0], equal_nan=True))

    def widest_issue(self) -> str | None:
        """The issue whose 80% band of deals is widest relative to its scale (None without deals)."""
        best, width = None, -1.0
        for issue in self.scenario.issues:
            band = self.issue_band(issue.id)
            if band["p10"] is None:
                continue
            relative = (band["p90"] - band["p10"]) / issue.span
            if relative > width + 1e-12:
                best, width = issue.id, relative
        return best

    def to_dict(self) -> dict[str, Any]:
        """The forecast as JSON data: the pinned keys first, then context.

        Pinned: ``runs``, ``p_deal``, ``p_deal_by`` ``{date: p}``, ``round``
        ``{p10, p50, p90}`` (of the deal round, among runs with a deal),
        ``issues`` ``{id: {p10, p50, p90}}`` (the deal, among runs with a
        deal), ``utilities`` ``{party: {p10, p50, p90}}`` (of the deal, or the
        walk-away value without one) and ``ended_by`` ``{reason: share}``.
        """
        s = self.scenario
        rows = self.rows
        rounds = rows.deal_round[self.deal_in_horizon]
        out: dict[str, Any] = {
            "runs": self.runs,
            "p_deal": _clean(self.p_deal),
            "p_deal_by": {d.isoformat(): _clean(self.p_deal_by(d)) for d in self.by},
            "round": _table(percentiles(rounds)),
            "issues": {iid: _table(self.issue_band(iid)) for iid in s.issue_ids},
            "utilities": {pid: _table(percentiles(self.utility[:, a])) for a, pid in enumerate(s.party_ids)},
            "ended_by": {k: _clean(v) for k, v in self.ended_shares().items()},
            "walkout": {k: _clean(v) for k, v in self.walkout_shares().items()},
            "scenario": s.name,
            "scenario_sha256": s.sha256,
            "protocol": self.protocol,
            "seed": self.seed,
            "horizon": self.horizon,
            "rounds_run": self.rounds_run,
            "ranges": {path: list(bounds) for path, bounds in sorted(s.ranges.items())},
            "time_to_deal": [_clean(v) for v in self.time_to_deal[: self.horizon + 1]],
        }
        options = {i.id: option_shares(i, self.deals[:, k]) for k, i in enumerate(s.issues) if is_discrete(i)}
        if options:
            out["options"] = {iid: {k: _clean(v) for k, v in shares.items()} for iid, shares in options.items()}
        if self.calendar is not None:
            out["calendar"] = {
                "start_date": self.calendar.start.isoformat(),
                "round_days": self.calendar.round_days,
                "horizon_date": self.calendar.date_of(self.horizon).isoformat(),
            }
        return out


def forecast_dates(
    scenario: Scenario, by: Iterable[str | dt.date] = (), source: str = "--by", calendar: Calendar | None = None
) -> tuple[Calendar | None, tuple[dt.date, ...]]:
    """The scenario's calendar and the sorted dates of ``by``, checked (a command checks them before any work).

    Raises:
        UserError: When there are dates but no calendar, or a date is not ``YYYY-MM-DD`` or not after the start.
    """
    calendar = calendar or calendar_of(scenario)
    dates: tuple[dt.date, ...] = ()
    if by:
        calendar = calendar or require_calendar(scenario, source)
        dates = tuple(sorted({parse_date(d, source) for d in by}))
        early = [d for d in dates if d <= calendar.start]
        if early:
            raise _early(source, early[0], calendar)
    return calendar, dates


def forecast(
    scenario: Scenario,
    runs: int = DEFAULT_RUNS,
    protocol: str | None = None,
    seed: int | None = None,
    by: Sequence[str | dt.date] = (),
    source: str = "--by",
    calendar: Calendar | None = None,
    positions: bool = False,
) -> Forecast:
    """Run N draws of a scenario's ranges and random streams on the batched engine.

    Args:
        scenario: The scenario.
        runs: Number of draws N.
        protocol: Protocol name (default: the scenario's).
        seed: The forecast's seed (default: the scenario's).
        by: Dates (``YYYY-MM-DD``) to give P(deal by) for; they need a calendar.
        source: What to name in an error about a date (a flag or a file).
        calendar: A calendar to read dates with (default: the scenario's own).
        positions: Whether to keep each party's stated position round by round (for scores).

    Returns:
        The forecast.

    Raises:
        UserError: A date that is not one, or dates for a scenario without a calendar.
    """
    seed = scenario.seed if seed is None else int(seed)
    name = resolve_protocol(scenario, protocol).name
    calendar, dates = forecast_dates(scenario, by, source, calendar)
    draws = range_draws(scenario, runs, seed)
    seeds = spawn_seeds(seed, runs)
    horizon = max([scenario.rounds, *(int(v.max()) for p, v in draws.items() if p == "scenario.rounds")])
    needed = max([calendar.last_round_by(d) for d in dates], default=0) if calendar else 0
    rounds = needed if needed > horizon else None
    rows = run_rows(
        scenario, draws, seeds, name, rounds=rounds, history=True, positions=positions, source=scenario.source
    )
    return Forecast(scenario, name, seed, draws, seeds, rows, calendar, dates)


def _early(source: str, date: dt.date, calendar: Calendar) -> UserError:
    return UserError.at(source, "", f"{date} is not after the scenario's start_date {calendar.start}")
