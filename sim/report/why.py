"""Why a run or a benchmark came out as it did, in the words the tables and the figures share.

* :func:`ratification_breaches` - each bound of a party's domestic win-set that
  a text crossed, with the margin (and the utility minimum or the lost passage
  draw when no bound was crossed);
* :func:`line_clashes` - the issues on which the red lines in force exclude each
  other, so that no text at all is feasible (Istanbul 2022's guarantee);
* :func:`no_nash_reason` - the true cause when there is no Nash solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.core.scenario import Scenario
from sim.core.utility import RED_LINE_TOLERANCE
from sim.engine.outcome import Outcome

__all__ = [
    "Breach",
    "Clash",
    "clash_sentence",
    "line_clashes",
    "no_nash_reason",
    "ratification_breaches",
    "ratification_reasons",
]


def _number(value: float, span: float) -> str:
    """A value or a bound as the margins are printed: four significant digits (0.7545, 740), after rounding
    away solver noise under a millionth of the issue's span (1e-09 on a 0..1 scale is 0)."""
    digits = 6 - math.floor(math.log10(span))
    return f"{round(value, digits) + 0.0:.4g}"


def _margin(value: float) -> str:
    """How far past a bound: two significant digits, whole numbers from 10 (0.0045, 5.3, 45)."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


@dataclass(frozen=True)
class Breach:
    """One reason a party's domestic ratification failed.

    Attributes:
        kind: ``"max"`` or ``"min"`` (an issue bound), ``"utility"`` (the
            least utility that passes) or ``"draw"`` (the logistic passage draw
            was lost with no bound crossed).
        issue: The issue id for a bound, else None.
        value: The text's value on the issue, or the party's utility.
        bound: The bound crossed (the minimum utility; the even-odds utility
            for a draw).
        margin: How far past the bound (the draw's chance of passing for a draw).
        text: The reason in words ("Sanctions relief 0.7545 against a bound of
            at most 0.75: over by 0.0045").
        short: The reason in a few words for a figure ("Sanctions relief: over
            by 0.0045").
    """

    kind: str
    issue: str | None
    value: float
    bound: float
    margin: float
    text: str
    short: str


def ratification_breaches(outcome: Outcome, round_: int, party_id: str) -> list[Breach]:
    """Why a party's domestic ratification failed in a round: each bound crossed, with its margin.

    Each bound of the win-set the text crossed, a utility under ``min_utility``,
    or, when neither, the lost passage draw with its chance (logistic win-set).

    Args:
        outcome: The run.
        round_: The round of the failure.
        party_id: The party whose ratification failed.

    Returns:
        The breaches (empty when the party has no win-set or crossed nothing).
    """
    s = outcome.scenario
    rat = s.party(party_id).ratification
    if rat is None:
        return []
    a = s.party_ids.index(party_id)
    text = outcome.history.text[round_]
    utility = float(outcome.history.utility[round_, a])
    out = []
    for k, issue in enumerate(s.issues):
        low, high = rat.bounds[issue.id]
        value = float(text[k])
        tolerance = RED_LINE_TOLERANCE * issue.span
        for kind, bound, past, word in (("max", high, value - high, "over"), ("min", low, low - value, "under")):
            if past > tolerance:
                side = "at most" if kind == "max" else "at least"
                out.append(
                    Breach(
                        kind,
                        issue.id,
                        value,
                        bound,
                        past,
                        f"{issue.label} {_number(value, issue.span)} against a bound of {side} "
                        f"{_number(bound, issue.span)}: {word} by {_margin(past)}",
                        f"{issue.label}: {word} its bound of {side} {_number(bound, issue.span)} by {_margin(past)}",
                    )
                )
    if rat.min_utility is not None and utility < rat.min_utility:
        short = rat.min_utility - utility
        out.append(
            Breach(
                "utility",
                None,
                utility,
                rat.min_utility,
                short,
                f"utility {utility:.3f} against a minimum of {rat.min_utility:.3f}: short by {short:.3f}",
                f"utility {short:.3f} short of its minimum {rat.min_utility:.3f}",
            )
        )
    if not out and rat.midpoint is not None and rat.steepness is not None:
        chance = 1.0 / (1.0 + math.exp(-rat.steepness * (utility - rat.midpoint)))
        out.append(
            Breach(
                "draw",
                None,
                utility,
                rat.midpoint,
                chance,
                f"the passage draw failed (chance {chance:.2f} at utility {utility:.3f}, "
                f"even odds at {rat.midpoint:.3f})",
                f"lost the passage draw (chance {chance:.2f})",
            )
        )
    return out


def ratification_reasons(outcome: Outcome, round_: int, party_id: str) -> str:
    """Why a party's domestic ratification failed in a round, with the bound and the margin, joined by "; ".

    Each bound of the win-set the text crossed ("Sanctions relief 0.7545 against a
    bound of at most 0.75: over by 0.0045"), a utility under ``min_utility``, or,
    when neither, the lost passage draw with its chance (logistic win-set).
    """
    if outcome.scenario.party(party_id).ratification is None:
        return "no win-set recorded"
    return "; ".join(b.text for b in ratification_breaches(outcome, round_, party_id)) or "no bound crossed"


@dataclass(frozen=True)
class Clash:
    """An issue on which two parties' red lines exclude each other.

    Attributes:
        issue: The issue id.
        low_party: The party whose lower line is highest.
        low: That line, in issue units.
        high_party: The party whose upper line is lowest.
        high: That line, in issue units.
    """

    issue: str
    low_party: str
    low: float
    high_party: str
    high: float


def line_clashes(scenario: Scenario, round_: int = 0) -> list[Clash]:
    """The issues on which the red lines in force in a round exclude each other (no text satisfies all).

    The lines are those the benchmarks and the kernel use (a guarantor's bind
    only on the issues it signs for; each softens by its ``soften`` per round).
    """
    from sim.core.compile import compile_params

    low, high = compile_params(scenario).red_lines_at(round_)
    low, high = low[0], high[0]
    out = []
    for k, issue in enumerate(scenario.issues):
        a, b = int(np.argmax(low[:, k])), int(np.argmin(high[:, k]))
        if low[a, k] > high[b, k] + 1e-9:
            out.append(
                Clash(
                    issue.id,
                    scenario.party_ids[a],
                    issue.min + low[a, k] * issue.span,
                    scenario.party_ids[b],
                    issue.min + high[b, k] * issue.span,
                )
            )
    return out


def clash_sentence(scenario: Scenario, clashes: list[Clash], when: str = "") -> str:
    """``no feasible text: red lines of Ukraine (at least 0.6) and Russia (at most 0.5) exclude each other
    on Security guarantee for Ukraine``, followed by ``when`` (e.g. ``" at the start (round 0)"``)."""
    parts = []
    for c in clashes:
        issue = scenario.issue(c.issue)
        lo, hi = scenario.party(c.low_party).name, scenario.party(c.high_party).name
        parts.append(
            f"red lines of {lo} (at least {_number(c.low, issue.span)}) and {hi} (at most "
            f"{_number(c.high, issue.span)}) exclude each other on {issue.label}"
        )
    return "no feasible text: " + "; ".join(parts) + when


def no_nash_reason(scenario: Scenario) -> str:
    """Why a scenario has no Nash solution: red lines that exclude each other, else no text beats every walk-away."""
    clashes = line_clashes(scenario)
    if clashes:  # the benchmarks use the lines of round 0; softened lines later are the run's story
        softens = any(v > 0 for p in scenario.parties for v in p.red_soften.values())
        return clash_sentence(scenario, clashes, " at the start (round 0; the lines soften later)" if softens else "")
    return "no text gives every party more than its walk-away value"
