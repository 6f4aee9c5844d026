"""Why this outcome: binding constraints, a concession ledger, ratification margins.

:func:`explain_run` reads one run (an :class:`~sim.engine.outcome.Outcome`,
or the classroom UI's finished run) and the scenario's numbers in force in
the round it ended:

* **Binding constraints at the deal.** For each party, every constraint on
  it: its walk-away (the deal's utility to it, judged on the issues it signs
  for, against its walk-away value in force, any floor learnt from a failed
  ratification included), each red line as softened by then, each bound of its
  domestic win-set (``ratification``: ``bounds`` and ``min_utility``) and each
  issue's no-deal line. A constraint *binds* when its slack is (near) zero:
  at most :data:`UTILITY_TOLERANCE` in utility, or one grid step or
  :data:`SCALE_TOLERANCE` of the issue's scale. A binding line that can be
  lifted (a red line, a win-set bound, a no-deal line) is lifted in a second
  run with the same seed, which says what the deal would be without it.
* **Concession ledger.** Per party and issue, how far the deal lies from its
  ideal and how far the text moved from the opening text toward (or away
  from) its ideal, in issue units and in utility (``w_ai v_ai``), and how far
  its own stated demand moved from its ideal.
* **Ratification.** Every failed ratification with the bound or win-set it
  failed, the value, and the margin (``value - bound``; for a vote, the
  utility against the midpoint and the chance it had).

Without a deal, the ledger and ratification are there and ``holdouts`` says
who refused the last text and why (below its walk-away, or across a line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.acceptance import Learned, after_ratification, judged_utilities, net_utilities, table_view
from sim.core.compile import compile_params
from sim.core.params import KernelParams
from sim.core.scenario import Issue, Scenario
from sim.experiments.rows import run_rows

__all__ = [
    "SCALE_TOLERANCE",
    "UTILITY_TOLERANCE",
    "Constraint",
    "Explanation",
    "explain_run",
]

UTILITY_TOLERANCE = 0.01
"""Slack in utility at or below which a constraint binds."""
SCALE_TOLERANCE = 0.01
"""Slack, as a share of the issue's scale, at or below which a line binds (or one grid step, if wider)."""
SCAN = 2001
"""Points scanned along an issue to find how far it can move before a party walks."""


def _clean(value: float | None, digits: int = 12) -> float | None:
    return None if value is None else float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class Constraint:
    """One constraint on one party at the end of a run.

    Attributes:
        party: Party id (None for an issue's no-deal line, which binds every signer).
        kind: ``"walkaway"``, ``"red_line"``, ``"ratification"`` or ``"no_deal_line"``.
        issue: Issue id (None for a walk-away or a ``min_utility``).
        side: ``"min"`` or ``"max"`` for a line, None otherwise.
        bound: The line or value in force (issue units, or utility).
        value: The deal's value (issue units, or utility).
        slack: How far the deal is from the line, in the constraint's unit (>= 0 when it holds).
        unit: The unit of ``slack``: the issue's unit, or ``"utility"``.
        slack_utility: For a line: the utility the party holding it would lose if the
            deal moved to the line (None for the others).
        slack_units: For a walk-away: per issue, how far (issue units) the deal could
            move against the party before it walks (None: to the end of the scale).
        binding: Whether the slack is (near) zero.
        original: For a red line that softened, the line as written.
    """

    party: str | None
    kind: str
    issue: str | None
    side: str | None
    bound: float
    value: float
    slack: float
    unit: str
    binding: bool
    slack_utility: float | None = None
    slack_units: dict[str, float | None] | None = None
    original: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON data (the pinned keys ``party``, ``kind``, ``issue``, ``slack`` first)."""
        out: dict[str, Any] = {
            "party": self.party,
            "kind": self.kind,
            "issue": self.issue,
            "slack": _clean(self.slack),
            "unit": self.unit,
            "side": self.side,
            "bound": _clean(self.bound),
            "value": _clean(self.value),
            "binding": self.binding,
        }
        if self.slack_utility is not None:
            out["slack_utility"] = _clean(self.slack_utility)
        if self.slack_units is not None:
            out["slack_units"] = {k: _clean(v) for k, v in self.slack_units.items()}
        if self.original is not None:
            out["original"] = _clean(self.original)
        return out


def _units(issue: Issue, z: float) -> float:
    return issue.min + z * issue.span


def _tolerance(issue: Issue) -> float:
    """Slack (issue units) at or below which a line binds."""
    return max(SCALE_TOLERANCE * issue.span, issue.step or 0.0) + 1e-9 * issue.span


def _learned_before(params: KernelParams, failed: np.ndarray, t: int) -> Learned:
    """What the parties had learnt from failed ratifications before round ``t``."""
    learned = Learned.nothing(params)
    for r in range(1, min(t, len(failed))):
        if failed[r].any():
            learned = after_ratification(params, learned, failed[r][None, :])
    return learned


def _walk_slack_units(params: KernelParams, z: np.ndarray, a: int, walk: float) -> list[float | None]:
    """Per issue: how far (normalised) the text can move away from party ``a``'s ideal before it walks."""
    ideal = params.prefs.ideal[0, a]
    out: list[float | None] = []
    steps = np.linspace(0.0, 1.0, SCAN)
    for i in range(len(z)):
        end = 0.0 if ideal[i] >= z[i] else 1.0
        reach = abs(end - z[i])
        if reach <= 0 or params.prefs.weight[0, a, i] == 0:
            out.append(None)
            continue
        texts = np.repeat(z[None, :], SCAN, axis=0)
        texts[:, i] = z[i] + np.sign(end - z[i]) * steps * reach
        rows = params.take(np.zeros(SCAN, dtype=int))
        judged = judged_utilities(rows, texts)[:, a]
        below = np.flatnonzero(judged < walk - 1e-12)
        out.append(None if not len(below) else float(steps[below[0]] * reach))
    return out


class _Context:
    """The numbers in force at the round a run ended."""

    def __init__(self, scenario: Scenario, run: Any) -> None:
        self.scenario = scenario
        self.t = run.round if run.deal is not None else run.history.rounds
        base = compile_params(scenario, 1, max(run.history.rounds, scenario.rounds))
        self.params = base.at_round(self.t, np.asarray(run.history.fired, dtype=bool)[None, :])  # events that fired
        self.failed = np.asarray(run.history.ratification_failed, dtype=bool)
        self.learned = _learned_before(self.params, self.failed, self.t)
        self.front = None
        if run.history.front is not None and scenario.battlefield is not None:
            issue = scenario.issue(scenario.battlefield.issue)
            self.front = np.array([(run.history.front[self.t] - issue.min) / issue.span])
        self.view = table_view(self.params, self.learned, self.t, self.front)
        final = run.deal if run.deal is not None else _text_at(scenario, run.history, run.history.rounds)
        self.final = final
        self.z = np.array([(final[i.id] - i.min) / i.span for i in scenario.issues])
        self.utility = net_utilities(self.params, self.z[None, :])[0]
        self.judged = judged_utilities(self.params, self.z[None, :])[0]

    def own_lines(self) -> tuple[np.ndarray, np.ndarray]:
        """Red lines in force (softened), without the no-deal line, where each party signs."""
        plain = self.params.with_arrays({"floor_table": np.zeros_like(self.params.floor_table)})
        low, high = plain.red_lines_at(self.t)
        return low[0], high[0]

    def floor(self, i: int) -> float:
        """The no-deal line of issue i in force (the front line on the battlefield's issue)."""
        if self.front is not None and i == self.params.front.issue:
            return float(self.front[0])
        table = self.params.floor_table
        return float(table[0, min(self.t, table.shape[1] - 1), i])


def _text_at(scenario: Scenario, history: Any, r: int) -> dict[str, float]:
    return {i.id: float(history.text[r, k]) for k, i in enumerate(scenario.issues)}


def _constraints(ctx: _Context) -> list[Constraint]:
    s, params, z = ctx.scenario, ctx.params, ctx.z
    out: list[Constraint] = []
    low, high = ctx.own_lines()
    consent = params.prefs.consent[0]
    for a, party in enumerate(s.parties):
        walk = float(ctx.view.walkaway[0, a])
        slack = float(ctx.judged[a] - walk)
        units = _walk_slack_units(params, z, a, walk)
        out.append(
            Constraint(
                party.id,
                "walkaway",
                None,
                None,
                walk,
                float(ctx.judged[a]),
                slack,
                "utility",
                slack <= UTILITY_TOLERANCE,
                slack_units={
                    issue.id: (None if units[k] is None else units[k] * issue.span) for k, issue in enumerate(s.issues)
                },
            )
        )
        for k, issue in enumerate(s.issues):
            if consent[a, k] != 1.0:
                continue
            written_low, written_high = party.red_lines[issue.id]
            for side, bound, written in (("min", low[a, k], written_low), ("max", high[a, k], written_high)):
                if (side == "min" and written <= issue.min) or (side == "max" and written >= issue.max):
                    continue
                out.append(_line(ctx, party.id, a, "red_line", issue, k, side, bound, written))
        rat = party.ratification
        if rat is not None:
            for k, issue in enumerate(s.issues):
                lo_b, hi_b = rat.bounds[issue.id]
                for side, written in (("min", lo_b), ("max", hi_b)):
                    if (side == "min" and written <= issue.min) or (side == "max" and written >= issue.max):
                        continue
                    bound = (written - issue.min) / issue.span
                    out.append(_line(ctx, party.id, a, "ratification", issue, k, side, bound, None))
            if rat.min_utility is not None:
                slack = float(ctx.utility[a] - rat.min_utility)
                out.append(
                    Constraint(
                        party.id,
                        "ratification",
                        None,
                        "min",
                        rat.min_utility,
                        float(ctx.utility[a]),
                        slack,
                        "utility",
                        slack <= UTILITY_TOLERANCE,
                    )
                )
    for k, issue in enumerate(s.issues):
        if issue.no_deal_path:
            floor = ctx.floor(k)
            if floor > 0:
                out.append(_line(ctx, None, -1, "no_deal_line", issue, k, "min", floor, None))
    return out


def _line(
    ctx: _Context, pid: str | None, a: int, kind: str, issue: Issue, k: int, side: str, bound: float, written
) -> Constraint:
    z = ctx.z[k]
    slack = (z - bound) if side == "min" else (bound - z)
    slack_units = float(slack * issue.span)
    lose = None
    if a >= 0:
        moved = ctx.z.copy()
        moved[k] = bound
        both = ctx.params.take(np.zeros(2, dtype=int))
        u = net_utilities(both, np.stack([ctx.z, moved]))[:, a]
        lose = float(u[0] - u[1])
    original = None
    if kind == "red_line" and written is not None and abs(_units(issue, bound) - written) > 1e-9 * issue.span:
        original = float(written)
    return Constraint(
        pid,
        kind,
        issue.id,
        side,
        _units(issue, bound),
        _units(issue, z),
        slack_units,
        issue.unit,
        slack_units <= _tolerance(issue),
        slack_utility=lose,
        original=original,
    )


def _removal(scenario: Scenario, c: Constraint) -> dict[str, float] | None:
    """The paths and values that lift a binding line (None for a walk-away, which cannot be lifted)."""
    if c.kind == "walkaway" or (c.issue is None and c.kind != "ratification"):
        return None
    if c.kind == "ratification" and c.issue is None:
        return {f"parties.{c.party}.ratification.min_utility": 0.0}
    issue = scenario.issue(c.issue)
    end = issue.min if c.side == "min" else issue.max
    if c.kind == "red_line":
        return {f"parties.{c.party}.red_lines.{c.issue}.{c.side}": end}
    if c.kind == "ratification":
        return {f"parties.{c.party}.ratification.bounds.{c.issue}.{c.side}": end}
    return {f"issues.{c.issue}.no_deal_path.{k}.1": issue.min for k in range(len(issue.no_deal_path))}


def _without(scenario: Scenario, run: Any, c: Constraint) -> dict[str, Any] | None:
    """The same run (same seed, same protocol) with the line lifted: the deal on its issue, or no deal."""
    values = _removal(scenario, c)
    if values is None:
        return None
    rows = run_rows(
        scenario,
        {p: [v] for p, v in values.items()},
        np.array([run.seed]),
        run.protocol,
        rounds=getattr(run, "rounds_max", None),
        source=scenario.source,
    )
    deal = bool(rows.agreement[0])
    out: dict[str, Any] = {"deal": deal, "round": int(rows.deal_round[0]) if deal else None, "actual_round": run.round}
    if c.issue is not None:
        out["value"] = _clean(float(rows.deal[0, scenario.issue_ids.index(c.issue)])) if deal else None
    out["deal_text"] = (
        {i.id: _clean(float(v)) for i, v in zip(scenario.issues, rows.deal[0], strict=True)} if deal else None
    )
    return out


def _ledger(ctx: _Context, run: Any) -> tuple[dict, dict]:
    """Concessions per party and issue, and who the text moved toward on each issue."""
    s, params = ctx.scenario, ctx.params
    h = run.history
    opening_z = np.array([(h.text[0, k] - i.min) / i.span for k, i in enumerate(s.issues)])
    texts = np.stack([opening_z, ctx.z])
    both = params.take(np.zeros(2, dtype=int))
    values = both.issue_values(texts)  # (2, P, I)
    weight = params.prefs.weight[0]
    concessions: dict[str, dict[str, dict]] = {}
    movement: dict[str, dict] = {}
    for k, issue in enumerate(s.issues):
        opening, final = float(h.text[0, k]), ctx.final[issue.id]
        toward, away = [], []
        for a, party in enumerate(s.parties):
            ideal = party.ideal[issue.id]
            gained = abs(opening - ideal) - abs(final - ideal)
            if weight[a, k] > 0 and gained > _tolerance(issue):
                toward.append(party.id)
            elif weight[a, k] > 0 and gained < -_tolerance(issue):
                away.append(party.id)
            concessions.setdefault(party.id, {})[issue.id] = {
                "ideal": _clean(ideal),
                "opening": _clean(opening),
                "deal": _clean(final),
                "demand": _clean(float(h.positions[-1, a, k])),
                "conceded": _clean(abs(final - ideal)),
                "conceded_utility": _clean(float(weight[a, k] * (1.0 - values[1, a, k]))),
                "from_opening": _clean(gained),
                "from_opening_utility": _clean(float(weight[a, k] * (values[1, a, k] - values[0, a, k]))),
                "demand_moved": _clean(abs(float(h.positions[-1, a, k]) - ideal)),
            }
        movement[issue.id] = {
            "from": _clean(opening),
            "to": _clean(final),
            "moved": _clean(final - opening),
            "toward": toward,
            "away": away,
        }
    return concessions, movement


def _ratification(scenario: Scenario, run: Any) -> list[dict[str, Any]]:
    """Every failed ratification: the bound or rule it failed, the value, and the margin."""
    h = run.history
    out = []
    rounds, parties = np.nonzero(np.asarray(h.ratification_failed, dtype=bool))
    for r, a in zip(rounds, parties, strict=True):
        party = scenario.parties[a]
        rat = party.ratification
        base = {"round": int(r), "party": party.id, "label": rat.label if rat else ""}
        found = []
        if rat is not None:
            for k, issue in enumerate(scenario.issues):
                value = float(h.text[r, k])
                low, high = rat.bounds[issue.id]
                tol = 1e-9 * issue.span
                for side, bound, outside in (("min", low, value < low - tol), ("max", high, value > high + tol)):
                    if outside:
                        found.append(
                            {
                                **base,
                                "kind": "bounds",
                                "issue": issue.id,
                                "side": side,
                                "value": _clean(value),
                                "bound": _clean(bound),
                                "margin": _clean(value - bound),
                            }
                        )
            utility = float(h.utility[r, a])
            if rat.min_utility is not None and utility < rat.min_utility:
                found.append(
                    {
                        **base,
                        "kind": "min_utility",
                        "issue": None,
                        "side": "min",
                        "value": _clean(utility),
                        "bound": _clean(rat.min_utility),
                        "margin": _clean(utility - rat.min_utility),
                    }
                )
            if not found and rat.midpoint is not None:
                chance = 1.0 / (1.0 + np.exp(-rat.steepness * (utility - rat.midpoint)))
                found.append(
                    {
                        **base,
                        "kind": "vote",
                        "issue": None,
                        "side": None,
                        "value": _clean(utility),
                        "bound": _clean(rat.midpoint),
                        "margin": _clean(utility - rat.midpoint),
                        "chance": _clean(float(chance)),
                    }
                )
        out += found
    return out


def _holdouts(ctx: _Context, run: Any) -> list[dict[str, Any]]:
    """Without a deal: who refused the last text, and why (walk-away, lines crossed)."""
    if run.deal is not None:
        return []
    s = ctx.scenario
    low, high = ctx.view.low[0], ctx.view.high[0]
    out = []
    for a, party in enumerate(s.parties):
        walk = float(ctx.view.walkaway[0, a])
        crossed = []
        for k, issue in enumerate(s.issues):
            z = ctx.z[k]
            if z < low[a, k] - 1e-9:
                crossed.append({"issue": issue.id, "side": "min", "bound": _clean(_units(issue, low[a, k]))})
            elif z > high[a, k] + 1e-9:
                crossed.append({"issue": issue.id, "side": "max", "bound": _clean(_units(issue, high[a, k]))})
        below = bool(ctx.judged[a] < walk)
        if below or crossed:
            out.append(
                {
                    "party": party.id,
                    "utility": _clean(float(ctx.judged[a])),
                    "walkaway": _clean(walk),
                    "below_walkaway": below,
                    "lines_crossed": crossed,
                }
            )
    return out


def _clashes(ctx: _Context) -> list[dict[str, Any]]:
    """Issues on which the lines in force exclude each other (no text satisfies everyone)."""
    s = ctx.scenario
    low, high = ctx.view.low[0], ctx.view.high[0]
    out = []
    for k, issue in enumerate(s.issues):
        a_low, a_high = int(np.argmax(low[:, k])), int(np.argmin(high[:, k]))
        if low[a_low, k] > high[a_high, k] + 1e-9:
            out.append(
                {
                    "issue": issue.id,
                    "min": _clean(_units(issue, low[a_low, k])),
                    "min_party": s.parties[a_low].id,
                    "max": _clean(_units(issue, high[a_high, k])),
                    "max_party": s.parties[a_high].id,
                }
            )
    return out


@dataclass(frozen=True)
class Explanation:
    """Why one run ended as it did (see the module doc).

    Attributes:
        scenario: The scenario.
        protocol: Protocol name.
        seed: Seed of the run.
        agreement: Whether it ended in a deal.
        round: The round of the deal (None without one).
        end_round: The round it ended.
        final: The deal, or the last text without one, per issue.
        constraints: Every constraint on every party at the end.
        without: For each binding line that can be lifted (by index in
            ``constraints``), the same run without it.
        concessions: ``{party: {issue: {...}}}``.
        movement: ``{issue: {from, to, moved, toward, away}}``.
        ratification: Every failed ratification with its margin.
        holdouts: Without a deal, who refused the last text and why.
        clashes: Issues whose lines in force exclude each other.
        drivers: The drivers (from :func:`sim.experiments.drivers.drivers`), or None.
    """

    scenario: Scenario
    protocol: str
    seed: int
    agreement: bool
    round: int | None
    end_round: int
    final: dict[str, float]
    constraints: tuple[Constraint, ...]
    without: dict[int, dict[str, Any]]
    concessions: dict[str, dict[str, dict]]
    movement: dict[str, dict]
    ratification: list[dict[str, Any]]
    holdouts: list[dict[str, Any]]
    clashes: list[dict[str, Any]]
    drivers: list[dict[str, Any]] | None = None

    def binding(self) -> list[tuple[Constraint, dict[str, Any] | None]]:
        """The binding constraints with what the run gives without each (None: cannot be lifted)."""
        return [(c, self.without.get(n)) for n, c in enumerate(self.constraints) if c.binding]

    def to_dict(self) -> dict[str, Any]:
        """JSON data: the pinned keys ``binding``, ``concessions``, ``drivers``, ``ratification`` first."""
        binding = []
        for c, without in self.binding():
            entry = c.to_dict()
            if without is not None:
                entry["without"] = without
            binding.append(entry)
        return {
            "binding": binding if self.agreement else [],
            "concessions": self.concessions,
            "drivers": self.drivers,
            "ratification": self.ratification,
            "agreement": self.agreement,
            "round": self.round,
            "end_round": self.end_round,
            "protocol": self.protocol,
            "seed": self.seed,
            "movement": self.movement,
            "holdouts": self.holdouts,
            "clashes": self.clashes,
            "constraints": [c.to_dict() for c in self.constraints],
        }


def explain_run(run: Any, drivers: list[dict[str, Any]] | None = None, counterfactuals: bool = True) -> Explanation:
    """Explain one finished run.

    Args:
        run: An :class:`~sim.engine.outcome.Outcome` (or anything with its
            ``scenario``, ``protocol``, ``seed``, ``deal``, ``round`` and
            ``history``: the classroom UI's finished run).
        drivers: Precomputed drivers to include (plain data), or None.
        counterfactuals: Whether to rerun without each binding line (a batched run each).

    Returns:
        The explanation.
    """
    s = run.scenario
    ctx = _Context(s, run)
    constraints = tuple(_constraints(ctx))
    without: dict[int, dict[str, Any]] = {}
    if counterfactuals and run.deal is not None:
        for n, c in enumerate(constraints):
            if c.binding:
                found = _without(s, run, c)
                if found is not None:
                    without[n] = found
    concessions, movement = _ledger(ctx, run)
    return Explanation(
        scenario=s,
        protocol=run.protocol,
        seed=run.seed,
        agreement=run.deal is not None,
        round=run.round if run.deal is not None else None,
        end_round=int(run.history.rounds),
        final={k: float(v) for k, v in ctx.final.items()},
        constraints=constraints,
        without=without,
        concessions=concessions,
        movement=movement,
        ratification=_ratification(s, run),
        holdouts=_holdouts(ctx, run),
        clashes=_clashes(ctx),
        drivers=drivers,
    )
