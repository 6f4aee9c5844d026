"""The result of one run: a plain object, written as JSON, CSV and figures.

Pinned outputs (see the README):

* ``outcome.json`` — ``agreement``, ``round``, ``deal``, ``utilities``,
  ``protocol``, ``seed``, ``scenario_sha256``, ``version``, ``benchmarks``
  (plus extra keys). No timestamps: same inputs, same bytes.
* ``rounds.csv`` — long format ``round,party,issue,position,...``; party
  ``text`` holds the tabled text; round 0 = starting positions.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.scenario import Scenario, date_of_round
from sim.protocols import State

__all__ = ["PARETO_TOLERANCE", "History", "Outcome", "final_utilities", "result_of"]


@dataclass(frozen=True)
class History:
    """Round-by-round record of one run, in issue units.

    Attributes:
        text: Text on the table per round, ``(R, I)``.
        positions: Each party's stated position per round, ``(R, P, I)``.
        utility: Each party's utility of the text per round, ``(R, P)``.
        walkaway: Walk-away values per round, ``(R, P)``.
        aspiration: Aspiration levels per round, ``(R, P)``.
        accepts: Acceptance per round, ``(R, P)``.
        ratification_failed: Parties whose domestic ratification failed in
            each round, ``(R, P)``.
        walked: Parties that had walked out by each round, ``(R, P)``.
        front: The front line per round in its issue's units, ``(R,)``;
            None without a battlefield.
        fired: Whether each of the scenario's events happens in this run, ``(E,)``.
    """

    text: np.ndarray
    positions: np.ndarray
    utility: np.ndarray
    walkaway: np.ndarray
    aspiration: np.ndarray
    accepts: np.ndarray
    ratification_failed: np.ndarray
    walked: np.ndarray
    front: np.ndarray | None
    fired: np.ndarray

    @classmethod
    def from_states(cls, scenario: Scenario, states: list[State], row: int = 0) -> History:
        """Collect one row of a list of kernel states (round 0 first)."""
        return cls(
            text=scenario.to_units(np.array([s.text[row] for s in states]), on_grid=True),
            positions=scenario.to_units(np.array([s.demands[row] for s in states])),
            utility=np.array([s.utility[row] for s in states]),
            walkaway=np.array([s.walkaway[row] for s in states]),
            aspiration=np.array([s.aspiration[row] for s in states]),
            accepts=np.array([s.accepts[row] for s in states]),
            ratification_failed=np.array([s.learned.failed[row] for s in states], dtype=bool),
            walked=np.array([s.walked[row] for s in states], dtype=bool),
            front=_front_path(scenario, states, row),
            fired=np.asarray(states[0].world.fired[row], dtype=bool),
        )

    @property
    def rounds(self) -> int:
        """Rounds played (the last round index)."""
        return self.text.shape[0] - 1


def _front_path(scenario: Scenario, states: list[State], row: int) -> np.ndarray | None:
    world = states[0].world
    if world.front is None or scenario.battlefield is None:
        return None
    issue = scenario.issue(scenario.battlefield.issue)
    return issue.min + np.array([world.front_at(s.t)[row] for s in states]) * issue.span


def final_utilities(state: State) -> np.ndarray:
    """Each party's utility at the end, ``(B, P)``: of the deal, or its walk-away value when there is none."""
    return np.where(state.agreement[:, None], state.utility, state.walkaway)


def result_of(scenario: Scenario, state, row: int = 0):
    """``(agreement, deal, utilities, walkaways)`` of one row of a kernel state, in issue units.

    Without a deal the deal is None and each party's utility is its walk-away value.
    """
    agreement = bool(state.agreement[row])
    deal = None
    if agreement:
        values = scenario.to_units(state.deal[row], on_grid=True)
        deal = {i.id: float(v) for i, v in zip(scenario.issues, values, strict=True)}
    ids = scenario.party_ids
    walk = {pid: float(w) for pid, w in zip(ids, state.walkaway[row], strict=True)}
    utility = {pid: float(u) for pid, u in zip(ids, final_utilities(state)[row], strict=True)}
    return agreement, deal, utility, walk


def _clean(value: float) -> float:
    """Round away float noise so outputs read well (12 significant digits)."""
    return float(f"{value:.12g}")


def _maybe(value: float | None) -> float | None:
    return None if value is None else _clean(value)


PARETO_TOLERANCE = 1e-6
"""A deal whose Pareto gain (or, without one, gap) is at most this is reported as Pareto-efficient."""


@dataclass(frozen=True)
class Outcome:
    """What one negotiation produced.

    Attributes:
        scenario: The scenario run.
        protocol: Protocol name.
        seed: Seed of the run.
        rounds_max: Round limit.
        agreement: Whether a deal was struck.
        round: Round of the deal (None without one).
        end_round: Round the run ended.
        deal: Agreed value per issue (None without a deal).
        utilities: Each party's utility at the end: of the deal, or its
            walk-away value when there is none.
        walkaways: Each party's walk-away value at the end.
        benchmarks: Benchmark solutions ``{name: {issue: value} | None}``.
        distance_to_nash: RMS distance of the deal to the Nash solution on
            normalised issues (None if either is missing).
        distance_to_ks: The same for the Kalai-Smorodinsky solution.
        pareto_gap: Largest utility gain every party could still get over the
            deal at once within the red lines (0 = weakly Pareto-efficient;
            None without a deal).
        accepts: Whether each party accepts the final text (red lines and
            walk-away value); for forecast protocols (bdm, compromise) this
            says who would sign the forecast.
        forecast: Whether the protocol forecasts (bdm, compromise) rather
            than asks for consent.
        history: Round-by-round record.
        version: Package version.
        pareto_gain: Largest total utility gain over the deal with nobody
            losing (0 = strongly Pareto-efficient; None without a deal).
    """

    scenario: Scenario
    protocol: str
    seed: int
    rounds_max: int
    agreement: bool
    round: int | None
    end_round: int
    deal: dict[str, float] | None
    utilities: dict[str, float]
    walkaways: dict[str, float]
    benchmarks: dict[str, dict[str, float] | None]
    distance_to_nash: float | None
    distance_to_ks: float | None
    pareto_gap: float | None
    accepts: dict[str, bool]
    history: History
    version: str
    forecast: bool = False
    ended_by: str = "round_limit"
    raw_deal: dict[str, float] | None = None
    pareto_gain: float | None = None

    @property
    def pareto_efficient(self) -> bool | None:
        """Whether no party could gain without another losing (strong efficiency; None without a deal)."""
        measure = self.pareto_gain if self.pareto_gain is not None else self.pareto_gap
        return None if measure is None else measure <= PARETO_TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        """The content of ``outcome.json`` (pinned keys first)."""

        def table(d: dict[str, float] | None) -> dict[str, float] | None:
            return None if d is None else {k: _clean(v) for k, v in d.items()}

        return {
            "agreement": self.agreement,
            "round": self.round,
            "deal": table(self.deal),
            "utilities": table(self.utilities),
            "protocol": self.protocol,
            "seed": self.seed,
            "scenario_sha256": self.scenario.sha256,
            "version": self.version,
            "benchmarks": {k: table(v) for k, v in self.benchmarks.items()},
            "scenario": self.scenario.name,
            "rounds_max": self.rounds_max,
            "end_round": self.end_round,
            "walkaways": table(self.walkaways),
            "distance_to_nash": _maybe(self.distance_to_nash),
            "distance_to_kalai_smorodinsky": _maybe(self.distance_to_ks),
            "pareto_gap": _maybe(self.pareto_gap),
            "pareto_gain": _maybe(self.pareto_gain),
            "pareto_efficient": self.pareto_efficient,
            "accepts": self.accepts,
            "forecast": self.forecast,
            "ratification_failures": self.ratification_failures(),
            "ended_by": self.ended_by,
            "walked_out": self.walked_out,
            **self._calendar(),
            **self._options(table),
            **({"events": self.events()} if self.scenario.events else {}),
        }

    def _options(self, table) -> dict[str, object]:
        """For discrete issues: the option each deal value is (and a forecast's raw value)."""
        discrete = [i for i in self.scenario.issues if i.discrete]
        if not discrete or self.deal is None:
            return {}
        out: dict[str, object] = {"deal_options": {i.id: i.level_name(self.deal[i.id]) for i in discrete}}
        if self.raw_deal is not None:
            out["forecast_raw"] = table({i.id: self.raw_deal[i.id] for i in discrete})
        return out

    @property
    def walked_out(self) -> str | None:
        """The first party that walked out (file order within a round), or None."""
        rounds, parties = np.nonzero(self.history.walked)
        return None if not len(rounds) else self.scenario.party_ids[parties[np.argmin(rounds)]]

    def date_of(self, round_: int) -> str | None:
        """The calendar date of a round (None without a calendar)."""
        s = self.scenario
        return None if s.start_date is None else date_of_round(round_, s.start_date, s.round_days)

    def _calendar(self) -> dict[str, str]:
        if self.scenario.start_date is None:
            return {}
        return {"start_date": self.scenario.start_date, "end_date": self.date_of(self.end_round)}

    def events(self) -> list[dict[str, object]]:
        """The scenario's events: label, round, date, whether it happened in this run and by the end."""
        out = []
        for event, fired in zip(self.scenario.events, self.history.fired, strict=True):
            happened = bool(fired) and event.round <= self.end_round
            item = {"label": event.label, "round": event.round, "happened": happened}
            if event.date is not None:
                item["date"] = event.date
            out.append(item)
        return out

    def events_in_round(self, round_: int) -> list[str]:
        """Labels of the events that happen in a round of this run."""
        events = zip(self.scenario.events, self.history.fired, strict=True)
        return [event.label for event, fired in events if fired and event.round == round_]

    def ratification_failures(self) -> list[dict[str, object]]:
        """Every failed domestic ratification: ``[{"round": r, "party": id}, ...]``."""
        rounds, parties = np.nonzero(self.history.ratification_failed)
        ids = self.scenario.party_ids
        return [{"round": int(r), "party": ids[a]} for r, a in zip(rounds, parties, strict=True)]

    def to_json(self) -> str:
        """``outcome.json`` as text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def rounds_csv(self) -> str:
        """``rounds.csv`` as text: one row per round, party (or ``text``) and issue."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        s = self.scenario
        extra = (
            (["date"] if s.start_date else []) + (["front"] if s.battlefield else []) + (["events"] if s.events else [])
        )
        writer.writerow(["round", "party", "issue", "position", "utility", "walkaway", "aspiration", "accepts", *extra])
        h = self.history
        issues = s.issue_ids
        for r in range(h.rounds + 1):
            tail = self._round_columns(r, extra)
            for i, iid in enumerate(issues):
                writer.writerow([r, "text", iid, _clean(h.text[r, i]), "", "", "", "", *tail])
            for a, pid in enumerate(s.party_ids):
                for i, iid in enumerate(issues):
                    writer.writerow(
                        [
                            r,
                            pid,
                            iid,
                            _clean(h.positions[r, a, i]),
                            _clean(h.utility[r, a]),
                            _clean(h.walkaway[r, a]),
                            _clean(h.aspiration[r, a]),
                            int(h.accepts[r, a]),
                            *tail,
                        ]
                    )
        return buf.getvalue()

    def _round_columns(self, r: int, extra: list[str]) -> list[object]:
        """The optional columns of ``rounds.csv`` for round r: its date, the front line, the events it brings."""
        values = {
            "date": lambda: self.date_of(r),
            "front": lambda: _clean(self.history.front[r]),
            "events": lambda: "; ".join(self.events_in_round(r)),
        }
        return [values[name]() for name in extra]
