"""Plain-text tables for the terminal: what a run and the benchmarks say."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.benchmarks.solutions import Solutions
from sim.core.scenario import Scenario
from sim.core.utility import RED_LINE_TOLERANCE
from sim.engine.outcome import PARETO_TOLERANCE, Outcome

__all__ = [
    "ENDING_WORDS",
    "ending_sentence",
    "events_fired",
    "format_table",
    "outcome_report",
    "ratification_reasons",
    "solutions_report",
]

BENCHMARK_NAMES = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai-Smorodinsky",
    "compromise": "compromise",
    "weighted_median": "weighted median",
}


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header."""
    cells = [list(header)] + [list(r) for r in rows]
    widths = [max(len(str(row[c])) for row in cells) for c in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _number(value: float, span: float) -> str:
    """A value or a bound as the margins are printed: four significant digits (0.7545, 740), after rounding
    away solver noise under a millionth of the issue's span (1e-09 on a 0..1 scale is 0)."""
    digits = 6 - math.floor(math.log10(span))
    return f"{round(value, digits) + 0.0:.4g}"


def _margin(value: float) -> str:
    """How far past a bound: two significant digits, whole numbers from 10 (0.0045, 5.3, 45)."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def ratification_reasons(outcome: Outcome, round_: int, party_id: str) -> str:
    """Why a party's domestic ratification failed in a round, with the bound and the margin.

    Each bound of the win-set the text crossed ("Sanctions relief 0.7545 against a
    bound of at most 0.75: over by 0.0045"), a utility under ``min_utility``, or,
    when neither, the lost passage draw with its chance (logistic win-set).

    Args:
        outcome: The run.
        round_: The round of the failure.
        party_id: The party whose ratification failed.

    Returns:
        The reasons, joined by "; ".
    """
    s = outcome.scenario
    rat = s.party(party_id).ratification
    if rat is None:
        return "no win-set recorded"
    a = s.party_ids.index(party_id)
    text = outcome.history.text[round_]
    utility = float(outcome.history.utility[round_, a])
    reasons = []
    for k, issue in enumerate(s.issues):
        low, high = rat.bounds[issue.id]
        value = float(text[k])
        tolerance = RED_LINE_TOLERANCE * issue.span
        if value > high + tolerance:
            reasons.append(
                f"{issue.label} {_number(value, issue.span)} against a bound of at most {_number(high, issue.span)}: "
                f"over by {_margin(value - high)}"
            )
        elif value < low - tolerance:
            reasons.append(
                f"{issue.label} {_number(value, issue.span)} against a bound of at least {_number(low, issue.span)}: "
                f"under by {_margin(low - value)}"
            )
    if rat.min_utility is not None and utility < rat.min_utility:
        short = rat.min_utility - utility
        reasons.append(f"utility {utility:.3f} against a minimum of {rat.min_utility:.3f}: short by {short:.3f}")
    if not reasons and rat.midpoint is not None and rat.steepness is not None:
        chance = 1.0 / (1.0 + math.exp(-rat.steepness * (utility - rat.midpoint)))
        reasons.append(
            f"the passage draw failed (chance {chance:.2f} at utility {utility:.3f}, even odds at {rat.midpoint:.3f})"
        )
    return "; ".join(reasons) or "no bound crossed"


def outcome_report(outcome: Outcome) -> str:
    """A readable summary: the deal per issue with units and benchmarks, then each party."""
    s = outcome.scenario
    lines = [f"{s.title} - protocol {outcome.protocol}, seed {outcome.seed}, at most {outcome.rounds_max} rounds"]
    lines.append(ending_sentence(outcome))
    lines += [f"Round {r}: {label}." for r, label in events_fired(outcome)]
    for event in outcome.ratification_failures():
        party = s.party(event["party"])
        who = (
            f"{party.name} ({party.ratification.label})"
            if party.ratification and party.ratification.label
            else party.name
        )
        then = "the run ended" if s.ratification_failure == "end" else "bargaining went on"
        why = ratification_reasons(outcome, event["round"], event["party"])
        lines.append(f"Round {event['round']}: the table agreed, but ratification failed in {who}: {why}; {then}.")
    if outcome.forecast:
        refuse = [s.party(p).name for p, ok in outcome.accepts.items() if not ok]
        lines.append(
            "This protocol forecasts; "
            + (f"would not sign: {', '.join(refuse)}." if refuse else "every party would sign.")
        )
    lines.append("")
    bench = outcome.benchmarks
    rows = []
    for issue in s.issues:
        deal = outcome.deal[issue.id] if outcome.deal else None
        nash = bench["nash"][issue.id] if bench.get("nash") else None
        ks = bench["kalai_smorodinsky"][issue.id] if bench.get("kalai_smorodinsky") else None
        rows.append([issue.label, issue.format(deal), issue.format(nash), issue.format(ks)])
    lines.append(format_table(["issue", "deal", "Nash", "Kalai-Smorodinsky"], rows))
    lines.append("")
    prows = []
    for party in s.parties:
        u = outcome.utilities[party.id]
        prows.append(
            [
                party.name,
                f"{u:.3f}",
                f"{outcome.walkaways[party.id]:.3f}",
                f"{party.walkaway:.3f}",
                f"{1 - u:.3f}" if outcome.agreement else "-",
                "yes" if outcome.accepts[party.id] else "no",
            ]
        )
    lines.append(
        format_table(
            ["party", "utility", "walk-away (end)", "walk-away (round 0)", "gave up (1 - U)", "accepts"],
            prows,
        )
    )
    lines.append("")
    if outcome.distance_to_nash is not None:
        lines.append(
            f"Distance of the deal to the Nash solution: {outcome.distance_to_nash:.3f}, "
            f"to Kalai-Smorodinsky: {outcome.distance_to_ks:.3f} (RMS over issues scaled to [0, 1])"
        )
    elif bench.get("nash") is None:
        lines.append("No Nash solution: no text gives every party more than its walk-away value.")
    if outcome.pareto_gap is not None:
        if outcome.pareto_efficient:
            verdict = "the deal is Pareto-efficient"
        elif outcome.pareto_gap > PARETO_TOLERANCE:
            verdict = "every party could still gain"
        else:
            verdict = f"some parties could still gain {outcome.pareto_gain:.3f} in total with nobody losing"
        lines.append(f"Pareto gap: {outcome.pareto_gap:.3f} ({verdict})")
    return "\n".join(lines)


ENDING_WORDS = {
    "round_limit": "the round limit came with no text everyone accepts",
    "ratification": "a failed ratification ended the talks",
    "walkout": "{who} walked out: the text had been worse for it than fighting on for {n} rounds in a row",
    "breakdown": "the talks broke down (the risk of breakdown each round)",
    "no_bargaining_set": "no text gives both main parties their walk-away value",
}


def ending_sentence(outcome: Outcome) -> str:
    """How the talks ended, in words (with the date when the scenario has a calendar)."""
    when = f" ({outcome.date_of(outcome.end_round)})" if outcome.scenario.start_date else ""
    if outcome.forecast:
        return f"Forecast after round {outcome.round}{when}."
    if outcome.agreement:
        return f"Deal in round {outcome.round}{when}."
    reason = ENDING_WORDS.get(outcome.ended_by, outcome.ended_by)
    if outcome.ended_by == "walkout":
        party = outcome.scenario.party(outcome.walked_out)
        reason = reason.format(who=party.name, n=party.walkout_after)
    return f"No deal after {outcome.end_round} rounds{when}: {reason}; every party falls back on its walk-away value."


def events_fired(outcome: Outcome) -> list[tuple[int, str]]:
    """The events that happened in the run by its end: ``[(round, label), ...]``."""
    return [(e["round"], e["label"]) for e in outcome.events() if e["happened"]]


def solutions_report(scenario: Scenario, solutions: Solutions) -> str:
    """The benchmark solutions as a table (issues by solution), plus utilities."""
    from sim.report.plots import utilities_of

    table = solutions.as_dict()
    header = ["issue"] + [BENCHMARK_NAMES[k] for k in table]
    rows = [
        [issue.label] + [issue.format(v[issue.id]) if v else "none" for v in table.values()]
        for issue in scenario.issues
    ]
    lines = [f"{scenario.title}: benchmark solutions", "", format_table(header, rows), ""]
    urows = []
    for a, party in enumerate(scenario.parties):
        row = [party.name]
        for v in table.values():
            row.append(f"{utilities_of(scenario, v)[a]:.3f}" if v else "-")
        urows.append(row + [f"{party.walkaway:.3f}"])
    lines.append(format_table(["utility of"] + header[1:] + ["walk-away"], urows))
    return "\n".join(lines)
