"""A forecast in words: the one line under a run's story, and the terminal report."""

from __future__ import annotations

from sim.core.scenario import Issue
from sim.experiments.forecast import Forecast, is_discrete, option_shares, percentiles
from sim.report.tables import format_table

__all__ = ["band_text", "context_line", "forecast_report"]

REASONS = {
    "deal": "a deal",
    "round_limit": "the round limit",
    "walkout": "a walk-out",
    "breakdown": "a breakdown",
    "ratification": "a failed ratification",
}


def _share(p: float) -> str:
    """A share as a percentage: whole percents, with "<1%" and ">99%" near the ends."""
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 <= p < 1:
        return ">99%"
    return f"{p:.0%}"


def _value(issue: Issue, value: float) -> str:
    """A value with the issue's digits, no unit."""
    digits = 0 if issue.span >= 100 else (2 if issue.span >= 1 else 3)
    return f"{value:.{digits}f}"


def _lower_first(label: str) -> str:
    """A label inside a sentence: first letter lower-case unless the word is an acronym (NATO)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def band_text(issue: Issue, band: dict) -> str:
    """``"680-820 thousand troops"`` (or one value when the band is a point; "-" without deals)."""
    if band["p10"] is None:
        return "-"
    low, high = _value(issue, band["p10"]), _value(issue, band["p90"])
    text = low if low == high else f"{low}-{high}"
    return f"{text} {issue.unit}".rstrip()


def context_line(forecast: Forecast) -> str:
    """One line that puts a single run in context.

    E.g. "Across 2,000 draws of this scenario's ranges and random streams: a
    deal in 64% of runs, by 2026-01-15 in 41%; army cap 680-820 thousand (80%
    band)."
    """
    s = forecast.scenario
    what = "ranges and random streams" if s.ranges else "random streams (it has no ranges)"
    parts = [f"a deal in {_share(forecast.p_deal)} of runs within {forecast.horizon} rounds"]
    parts += [f"by {d} in {_share(forecast.p_deal_by(d))}" for d in forecast.by]
    line = f"Across {forecast.runs:,} draws of this scenario's {what}: " + ", ".join(parts)
    if forecast.identical:
        return line + "; every draw gives the same outcome."
    widest = forecast.widest_issue()
    if widest is not None:
        issue = s.issue(widest)
        line += f"; {_lower_first(issue.label)} {band_text(issue, forecast.issue_band(widest))} (80% band)"
    return line + "."


def forecast_report(forecast: Forecast) -> str:
    """The forecast as readable tables: P(deal), the round, the deal per issue, utilities, endings."""
    s = forecast.scenario
    n_ranges = len(s.ranges)
    drawn = (
        f"its {n_ranges} range{'s' * (n_ranges != 1)} and every random stream" if n_ranges else "every random stream"
    )
    lines = [
        f"{s.title} - forecast: {forecast.runs:,} draws of {drawn}; protocol {forecast.protocol}, seed {forecast.seed}",
        f"P(deal) within {forecast.horizon} rounds: {_share(forecast.p_deal)}",
    ]
    if forecast.calendar is not None:
        lines[-1] += f" (by {forecast.calendar.date_of(forecast.horizon)})"
    for date in forecast.by:
        lines.append(f"P(deal) by {date}: {_share(forecast.p_deal_by(date))} (round {forecast.last_round_by(date)})")
    if forecast.extended:
        lines.append(f"(runs went on to round {forecast.rounds_run}, past the horizon, for the dates asked about)")
    rounds = percentiles(forecast.rows.deal_round[forecast.deal_in_horizon])
    if rounds["p50"] is not None:
        lines.append(
            f"Deal round: median {rounds['p50']:.0f}, 80% band {rounds['p10']:.0f}-{rounds['p90']:.0f} "
            "(among runs with a deal)"
        )
    ended = [f"{REASONS[k]} {_share(v)}" for k, v in forecast.ended_shares().items() if v > 0]
    lines.append("How runs ended: " + ", ".join(ended) + ".")
    if forecast.identical:
        lines.append("Every draw gives the same outcome (no ranges or random draws change it).")
    lines.append("")
    rows = []
    for issue in s.issues:
        band = forecast.issue_band(issue.id)
        rows.append(
            [issue.label, *(issue.format(band[k]) if band[k] is not None else "-" for k in ("p10", "p50", "p90"))]
        )
    lines.append(format_table(["issue (deals)", "10th pct", "median", "90th pct"], rows))
    for k, issue in enumerate(s.issues):
        if is_discrete(issue):
            shares = option_shares(issue, forecast.deals[:, k])
            lines.append(f"{issue.label}: " + ", ".join(f"{label} {_share(p)}" for label, p in shares.items()))
    lines.append("")
    walkout = forecast.walkout_shares()
    prows = []
    for a, party in enumerate(s.parties):
        band = percentiles(forecast.utility[:, a])
        prows.append([party.name, *(f"{band[k]:.3f}" for k in ("p10", "p50", "p90")), _share(walkout[party.id])])
    lines.append(format_table(["party (utility at the end)", "10th pct", "median", "90th pct", "walks out"], prows))
    return "\n".join(lines)
