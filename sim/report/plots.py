"""Figures of one run: trajectories, utilities, and the utility plane.

Figures are drawn on ``matplotlib.figure.Figure`` objects (no global pyplot
state), so they can be made from worker processes and tests alike, and the
PNG bytes depend only on the inputs.

The figure functions read ``scenario``, ``history``, ``protocol``, ``deal``,
``round`` and ``benchmarks`` of the run they are given: an
:class:`~sim.outcome.Outcome`, or a run still going (the classroom UI's
:class:`~sim.classroom.Snapshot`), optionally with a ``baseline`` run drawn
faintly behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.core.scenario import Issue, Party, Scenario

if TYPE_CHECKING:
    from sim.engine.outcome import Outcome

__all__ = [
    "DPI",
    "PARTY_COLOURS",
    "TEXT_COLOUR",
    "finish_panels",
    "label_issue_axis",
    "mark_events",
    "no_deal_line",
    "outcome_figures",
    "party_colour",
    "red_lines_by_round",
    "save",
    "plain_text",
    "trajectories_figure",
    "utilities_figure",
    "utilities_of",
    "utility_plane_figure",
]

PARTY_COLOURS = ["#c0392b", "#2471a3", "#7d3c98", "#d4ac0d", "#1e8449", "#ca6f1e", "#5d6d7e", "#a04000"]
TEXT_COLOUR = "#111111"
BAND_COLOUR = "#2e86c1"
DPI = 110


def plain_text(fig: Figure) -> Figure:
    """Every text of ``fig`` drawn as plain text: a ``$`` in a name or label is a dollar sign, never mathtext.

    Names, labels and units come from scenario files; matplotlib would read
    ``$...$`` in them as TeX (and fail on some). Numeric tick labels made
    later, at drawing, hold no ``$``.
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return fig


def party_colour(index: int) -> str:
    """The colour of the party at ``index`` (file order)."""
    return PARTY_COLOURS[index % len(PARTY_COLOURS)]


def label_issue_axis(ax, issue: Issue, axis: str = "y") -> None:
    """Name the axis after the issue and mark labelled levels as ticks."""
    name = issue.unit if issue.levels else f"{issue.label}" + (f" ({issue.unit})" if issue.unit else "")
    pad = 0.04 * issue.span
    if axis == "y":
        ax.set_ylabel(issue.unit, fontsize=8)
        ax.set_ylim(issue.min - pad, issue.max + pad)
        if issue.levels:
            ax.set_yticks(list(issue.levels), [f"{lab}\n({lvl:g})" for lvl, lab in issue.levels.items()], fontsize=6)
    else:
        ax.set_xlabel(name, fontsize=8)
        ax.set_xlim(issue.min - pad, issue.max + pad)
        if issue.levels:
            ax.set_xticks(list(issue.levels), [f"{lab}" for lab in issue.levels.values()], fontsize=6)


def finish_panels(fig: Figure, axes, used: int, title: str, top: float, bottom: float) -> Figure:
    """Hide unused panels, put the first panel's legend under the figure, title it, lay it out."""
    for ax in axes[used:]:
        ax.set_visible(False)
    legend: dict[str, object] = {}
    for ax in axes[:used]:  # every label once (the no-deal line may be on a later panel only)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    fig.legend(list(legend.values()), list(legend), loc="lower center", ncol=len(legend), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    plain_text(fig).tight_layout(rect=(0, bottom, 1, top))
    return fig


def _grid(n: int) -> tuple[int, int]:
    cols = 2 if n > 1 else 1
    return (n + cols - 1) // cols, cols


def trajectories_figure(
    outcome: Outcome,
    *,
    baseline: Outcome | None = None,
    bands: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> Figure:
    """Per issue: the tabled text and each party's position by round.

    Ideals are dotted lines; red lines are hatched bands (the side a party will
    not accept) that move as the lines soften round by round; the no-deal line
    (an issue's ``no_deal_path``) is dashed; the deal is a star.

    Args:
        outcome: The run (finished, or still going: its history so far).
        baseline: Another run of the same issues, drawn faintly behind (the
            classroom UI's "compare with baseline").
        bands: A forecast's text by round, ``{issue: (p10, p50, p90)}`` arrays
            over rounds 0.., drawn as a band behind the run (plain data, e.g.
            ``Forecast.bands()``).
    """
    s = outcome.scenario
    h = outcome.history
    rows, cols = _grid(len(s.issues))
    fig = Figure(figsize=(5.2 * cols, 3.0 * rows + 0.6), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    rounds = np.arange(h.rounds + 1)
    for k, issue in enumerate(s.issues):
        ax = axes[k]
        if bands is not None and issue.id in bands:
            low, mid, high = (np.asarray(v) for v in bands[issue.id])
            span = np.arange(len(mid))
            ax.fill_between(span, low, high, color=BAND_COLOUR, alpha=0.22, lw=0, label="forecast: 80% of runs")
            ax.plot(span, mid, color=BAND_COLOUR, lw=1.0, ls="--", alpha=0.8, label="forecast: median")
        if baseline is not None:
            _baseline_path(ax, baseline, baseline.history.text[:, k], _deal_value(baseline, issue.id))
        for a, party in enumerate(s.parties):
            colour = party_colour(a)
            ax.plot(rounds, h.positions[:, a, k], color=colour, lw=1.2, alpha=0.9, label=party.name)
            ax.axhline(party.ideal[issue.id], color=colour, lw=0.8, ls=":")
            low, high = red_lines_by_round(party, issue, rounds)
            if party.red_lines[issue.id][0] > issue.min:
                ax.fill_between(rounds, issue.min, low, color=colour, alpha=0.10, hatch="//", lw=0)
            if party.red_lines[issue.id][1] < issue.max:
                ax.fill_between(rounds, high, issue.max, color=colour, alpha=0.10, hatch="//", lw=0)
        on_front = h.front is not None and s.battlefield is not None and s.battlefield.issue == issue.id
        line = no_deal_line(issue, rounds)
        if line is not None and not on_front:  # a battlefield's front replaces the path (drawn below)
            ax.plot(rounds, line, color="#555555", lw=1.4, ls="--", label="no-deal line")
        ax.plot(rounds, h.text[:, k], color=TEXT_COLOUR, lw=2.4, marker="o", ms=2.5, label="text")
        if outcome.deal is not None:
            ax.plot(
                [outcome.round],
                [outcome.deal[issue.id]],
                marker="*",
                ms=14,
                color="gold",
                mec=TEXT_COLOUR,
                zorder=5,
                label="deal",
            )
        if on_front:
            ax.plot(rounds, h.front, color="#6b4f2a", lw=1.4, ls="--", label="front line (no-deal line)")
        mark_events(ax, outcome, k == 0)
        ax.set_title(issue.label, fontsize=9)
        ax.set_xlabel("round", fontsize=8)
        ax.tick_params(labelsize=7)
        label_issue_axis(ax, issue)
        if baseline is not None or bands is not None:
            right = max(h.rounds, baseline.history.rounds if baseline is not None else 0, 1)
            if bands is not None and issue.id in bands:
                right = max(right, len(bands[issue.id][1]) - 1)
            ax.set_xlim(-0.5, right + 0.5)
    return finish_panels(fig, axes, len(s.issues), f"{s.title}: positions by round ({outcome.protocol})", 0.97, 0.05)


def red_lines_by_round(party: Party, issue: Issue, rounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A party's red lines on an issue in force in each round, in issue units: ``(low, high)``.

    Each line relaxes by the party's ``soften`` per round (never past the
    scale's ends), as the kernel softens it. A guarantor's lines bind only on the
    issues it signs for; elsewhere the whole scale is open.
    """
    low, high = party.red_lines[issue.id]
    if issue.id not in party.must_agree_on:
        low, high = issue.min, issue.max
    soften = party.red_soften.get(issue.id, 0.0) * np.asarray(rounds, dtype=float)
    return np.maximum(low - soften, issue.min), np.minimum(high + soften, issue.max)


def no_deal_line(issue: Issue, rounds: np.ndarray) -> np.ndarray | None:
    """The issue's no-deal line by round (``no_deal_path`` interpolated), or None without one."""
    if not issue.no_deal_path:
        return None
    r, v = zip(*issue.no_deal_path, strict=True)
    return np.interp(rounds, r, v)


def mark_events(ax, outcome: Outcome, labelled: bool) -> None:
    """Dotted vertical lines at the rounds of the events that happened (labelled on one panel)."""
    for event in outcome.events() if outcome.scenario.events else []:
        if not event["happened"]:
            continue
        ax.axvline(event["round"], color="#7f7f7f", lw=0.9, ls=(0, (1, 2)), zorder=0)
        if labelled:
            ax.annotate(
                str(event["label"]),
                (event["round"], 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=6,
                color="#555555",
            )


def utilities_figure(outcome: Outcome, *, baseline: Outcome | None = None) -> Figure:
    """Per party: utility of the text, walk-away value and aspiration by round.

    Args:
        outcome: The run (finished, or still going: its history so far).
        baseline: Another run of the same parties, whose utility of the text
            is drawn faintly behind.
    """
    s = outcome.scenario
    h = outcome.history
    rows, cols = _grid(len(s.parties))
    fig = Figure(figsize=(5.0 * cols, 2.6 * rows + 0.6), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True).ravel()
    rounds = np.arange(h.rounds + 1)
    for a, party in enumerate(s.parties):
        ax = axes[a]
        colour = party_colour(a)
        if baseline is not None:
            _baseline_path(ax, baseline, baseline.history.utility[:, a], None, "utility as loaded (baseline)")
            ax.set_xlim(-0.5, max(h.rounds, baseline.history.rounds, 1) + 0.5)
        ax.plot(rounds, h.utility[:, a], color=colour, lw=2, label="utility of the text")
        ax.plot(rounds, h.walkaway[:, a], color=colour, lw=1.2, ls="--", label="walk-away")
        ax.plot(rounds, h.aspiration[:, a], color=colour, lw=1, ls=":", label="aspiration")
        accepted = np.flatnonzero(h.accepts[:, a])
        ax.plot(
            accepted,
            h.utility[accepted, a],
            ls="none",
            marker="o",
            ms=4,
            color=colour,
            mfc="white",
            label="accepts",
        )
        if outcome.round is not None:
            ax.axvline(outcome.round, color=TEXT_COLOUR, lw=0.8, ls="-.")
        ax.set_title(party.name, fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("round", fontsize=8)
    title = f"{s.title}: utility vs walk-away ({outcome.protocol})"
    return finish_panels(fig, axes, len(s.parties), title, 0.96, 0.06)


def utility_plane_figure(
    outcome: Outcome,
    parties: tuple[str, str] | None = None,
    frontier: tuple | None = None,
    *,
    baseline: Outcome | None = None,
    current: bool = False,
) -> Figure:
    """Utilities of two parties: Pareto frontier, walk-aways, benchmarks, text path, deal.

    Args:
        outcome: The run (finished, or still going: its history so far).
        parties: The two party ids on the axes (default: the main parties).
        frontier: A precomputed ``pareto_frontier(scenario, parties)``.
        baseline: Another run of the same scenario's parties, whose text path
            (and deal) is drawn faintly behind.
        current: Mark the text on the table in the last round recorded.
    """
    from sim.benchmarks.solutions import pareto_frontier

    s = outcome.scenario
    a_id, b_id = parties or s.main_parties
    ids = s.party_ids
    a, b = ids.index(a_id), ids.index(b_id)
    utils, _ = frontier if frontier is not None else pareto_frontier(s, (a_id, b_id))
    fig = Figure(figsize=(5.6, 5.2), dpi=DPI)
    ax = fig.subplots()
    if len(utils):
        ax.plot(utils[:, 0], utils[:, 1], color="#555555", lw=2, label="Pareto frontier")
    h = outcome.history
    if baseline is not None:
        bh = baseline.history
        ax.plot(bh.utility[:, a], bh.utility[:, b], **BASELINE_STYLE, label="text as loaded (baseline)")
        if baseline.deal is not None:
            u = utilities_of(baseline.scenario, baseline.deal)
            ax.plot(u[a], u[b], marker="*", ms=13, ls="none", color="#bbbbbb", mec="#888888", zorder=1)
    if current:
        ax.plot(
            h.utility[-1, a],
            h.utility[-1, b],
            marker="o",
            ms=13,
            ls="none",
            mfc="none",
            mec="#e67e22",
            mew=2.5,
            zorder=6,
            label=f"current text (round {h.rounds})",
        )
    ax.plot(
        h.utility[:, a],
        h.utility[:, b],
        color=TEXT_COLOUR,
        lw=1,
        marker="o",
        ms=3,
        alpha=0.7,
        label="text, round by round",
    )
    ax.axvline(
        s.party(a_id).walkaway,
        color=party_colour(a),
        ls="--",
        lw=1,
        label=f"{s.party(a_id).name} walk-away (round 0)",
    )
    ax.axhline(
        s.party(b_id).walkaway,
        color=party_colour(b),
        ls="--",
        lw=1,
        label=f"{s.party(b_id).name} walk-away (round 0)",
    )
    markers = {
        "nash": ("D", "Nash"),
        "kalai_smorodinsky": ("s", "Kalai-Smorodinsky"),
        "compromise": ("^", "compromise"),
        "weighted_median": ("v", "weighted median"),
    }
    for key, (marker, name) in markers.items():
        point = outcome.benchmarks.get(key)
        if point is None:
            continue
        u = utilities_of(s, point)
        ax.plot(u[a], u[b], marker=marker, ms=8, ls="none", mec=TEXT_COLOUR, mfc="white", label=name)
    if outcome.deal is not None:
        u = utilities_of(s, outcome.deal)
        ax.plot(
            u[a],
            u[b],
            marker="*",
            ms=16,
            ls="none",
            color="gold",
            mec=TEXT_COLOUR,
            label=f"deal (round {outcome.round})",
        )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"utility of {s.party(a_id).name}", fontsize=9)
    ax.set_ylabel(f"utility of {s.party(b_id).name}", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(f"{s.title}: utility plane ({outcome.protocol})", fontsize=10)
    plain_text(fig).tight_layout()
    return fig


BASELINE_STYLE = {"color": "#9a9a9a", "lw": 3.0, "alpha": 0.35, "zorder": 0}


def _deal_value(outcome: Outcome, issue_id: str) -> float | None:
    return None if outcome.deal is None else outcome.deal[issue_id]


def _baseline_path(
    ax, baseline: Outcome, values: np.ndarray, deal: float | None, label: str = "text as loaded (baseline)"
) -> None:
    """Draw a baseline run's values by round faintly behind the current run."""
    ax.plot(np.arange(len(values)), values, **BASELINE_STYLE, label=label)
    if deal is not None and baseline.round is not None:
        ax.plot([baseline.round], [deal], marker="*", ms=11, ls="none", color="#bbbbbb", mec="#888888")


def utilities_of(scenario: Scenario, point: dict[str, float]) -> np.ndarray:
    """Every party's utility of a text given in issue units, ``(P,)``."""
    from sim.benchmarks import BargainingProblem

    z = np.array([(point[i.id] - i.min) / i.span for i in scenario.issues])
    return BargainingProblem.from_scenario(scenario).utilities(z)


def save(fig: Figure, path: Path) -> Path:
    """Write a figure as PNG (its texts as plain text)."""
    plain_text(fig).savefig(path, format="png")
    return path


def outcome_figures(outcome: Outcome, out_dir: Path) -> list[Path]:
    """Write the three figures of a run into ``out_dir``."""
    return [
        save(trajectories_figure(outcome), out_dir / "trajectories.png"),
        save(utilities_figure(outcome), out_dir / "utilities.png"),
        save(utility_plane_figure(outcome), out_dir / "utility_plane.png"),
    ]
