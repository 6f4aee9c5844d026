"""Figures of one run: trajectories, utilities, and the utility plane.

Figures are drawn on ``matplotlib.figure.Figure`` objects (no global pyplot
state), so they can be made from worker processes and tests alike, and the
PNG bytes depend only on the inputs. Colours, round axes and layout come from
:mod:`sim.report.style` (one party, one colour, in every figure).

The figure functions read ``scenario``, ``history``, ``protocol``, ``deal``,
``round`` and ``benchmarks`` of the run they are given: an
:class:`~sim.outcome.Outcome`, or a run still going (the classroom UI's
:class:`~sim.classroom.Snapshot`), optionally with a ``baseline`` run drawn
faintly behind.

What each figure marks, and says in its legend:

* trajectories: each party's position (its colour), its ideal (dotted), its red
  lines as hatched forbidden zones that shrink as the lines soften, its
  ratification bounds (dash-dot), the no-deal line or the front line (dashed),
  the text (black), the deal (star), each failed ratification (a cross, with
  who, which bound and by how much), events and coalitions (vertical lines);
* utilities: per party, the utility of the text, the walk-away value in force
  round by round, the aspiration, the rounds it accepts, its ratification
  threshold, and each failed ratification with its reason;
* the utility plane: the Pareto frontier (or why there is none: red lines that
  exclude each other), the text's path, the walk-aways in force at the deal and
  their path since round 0, the benchmarks (coinciding ones said so), failed
  ratifications and the deal.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.core.scenario import Issue, Party, Scenario
from sim.report.style import (
    BAND_COLOUR,
    DEAL_COLOUR,
    DPI,
    FAILED_COLOUR,
    FRONT_COLOUR,
    NO_DEAL_COLOUR,
    TEXT_COLOUR,
    lay_out,
    party_colours,
    plain_text,
    round_axis,
    wrap,
)
from sim.report.why import Breach, clash_sentence, line_clashes, ratification_breaches

if TYPE_CHECKING:
    from sim.engine.outcome import Outcome

__all__ = [
    "finish_panels",
    "label_issue_axis",
    "mark_events",
    "no_deal_line",
    "outcome_figures",
    "plain_text",
    "red_lines_by_round",
    "save",
    "trajectories_figure",
    "utilities_figure",
    "utilities_of",
    "utility_plane_figure",
]

GREY = "#666666"
"""Legend keys of marks drawn in each party's colour (the key shows the style, not a party)."""


def label_issue_axis(ax, issue: Issue, axis: str = "y") -> None:
    """Name the axis after the issue and mark labelled levels as ticks."""
    name = issue.unit if issue.levels else f"{issue.label}" + (f" ({issue.unit})" if issue.unit else "")
    pad = 0.04 * issue.span
    if axis == "y":
        ax.set_ylabel(issue.unit, fontsize=8)
        ax.set_ylim(issue.min - pad, issue.max + pad)
        if issue.levels:
            ax.set_yticks(
                list(issue.levels), [f"{wrap(lab, 1.3, 6)}\n({lvl:g})" for lvl, lab in issue.levels.items()], fontsize=6
            )
    else:
        ax.set_xlabel(name, fontsize=8)
        ax.set_xlim(issue.min - pad, issue.max + pad)
        if issue.levels:
            ax.set_xticks(list(issue.levels), [wrap(lab, 1.4, 6) for lab in issue.levels.values()], fontsize=6)


def finish_panels(fig: Figure, axes, used: int, title: str, extra: tuple = ()) -> Figure:
    """Hide unused panels, put one legend of every panel's marks under the figure, title it, lay it out.

    Args:
        fig: The figure.
        axes: Its panels, in order.
        used: How many panels hold something.
        title: The figure's title.
        extra: ``(handle, label)`` pairs to add to the legend (keys of marks drawn without a label).
    """
    for ax in axes[used:]:
        ax.set_visible(False)
    legend: dict[str, object] = {}
    for ax in axes[:used]:  # every label once (the no-deal line may be on a later panel only)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    for handle, label in extra:
        legend.setdefault(label, handle)
    return lay_out(fig, title, list(legend.values()), list(legend))


def _grid(n: int) -> tuple[int, int]:
    cols = 2 if n > 1 else 1
    return (n + cols - 1) // cols, cols


def _has_bounds(party: Party, issue: Issue) -> bool:
    rat = party.ratification
    if rat is None or issue.id not in rat.bounds:
        return False
    low, high = rat.bounds[issue.id]
    return low > issue.min or high < issue.max


def _failures(outcome: Outcome) -> list[tuple[int, str, list[Breach]]]:
    """Each failed ratification: ``(round, party id, breaches)``."""
    rounds, parties = np.nonzero(outcome.history.ratification_failed)  # read from the history: a run still going too
    ids = outcome.scenario.party_ids
    return [
        (int(r), ids[a], ratification_breaches(outcome, int(r), ids[a])) for r, a in zip(rounds, parties, strict=True)
    ]


def _rounds_text(rounds: list[int]) -> str:
    """``round 12`` or ``rounds 12-14`` or ``rounds 3, 7``."""
    if len(rounds) == 1:
        return f"round {rounds[0]}"
    if rounds == list(range(rounds[0], rounds[-1] + 1)):
        return f"rounds {rounds[0]}-{rounds[-1]}"
    return "rounds " + ", ".join(str(r) for r in rounds)


def _grouped(failures, key) -> dict:
    """Failures grouped by ``key(party, breach)``: ``{key: [(round, party, breach), ...]}`` in order."""
    out: dict = {}
    for r, pid, breaches in failures:
        for breach in breaches:
            out.setdefault(key(pid, breach), []).append((r, pid, breach))
    return out


def _annotate(ax, xy, text: str, k: int, upper: bool, colour: str = FAILED_COLOUR) -> None:
    """A small note pointing at ``xy``, stacked by ``k`` so notes of nearby marks do not overlap.

    Below the mark when it lies in the upper part of the panel (``upper``), above it otherwise,
    so the note stays inside the panel.
    """
    step = 10 + 13 * k
    ax.annotate(
        text,
        xy,
        xytext=(-6, -step if upper else step),
        textcoords="offset points",
        ha="right",
        va="top" if upper else "bottom",
        fontsize=6,
        color=colour,
        arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6},
        annotation_clip=False,
    )


def trajectories_figure(
    outcome: Outcome,
    *,
    baseline: Outcome | None = None,
    bands: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> Figure:
    """Per issue: the tabled text and each party's position by round.

    Ideals are dotted lines; red lines are hatched bands (the side a party will
    not accept) that move as the lines soften round by round; ratification
    bounds are dash-dot lines; the no-deal line (an issue's ``no_deal_path``) or
    the battlefield's front line is dashed; the deal is a star; each failed
    ratification is a cross on the issue whose bound the text crossed, with who
    and by how much.

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
    colours = party_colours(s)
    rows, cols = _grid(len(s.issues))
    fig = Figure(figsize=(5.4 * cols, 3.1 * rows + 1.4), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    rounds = np.arange(h.rounds + 1)
    failures = _failures(outcome)
    by_issue = _grouped(failures, lambda pid, b: (b.issue, pid, b.kind))
    extra: list[tuple[object, str]] = []
    for k, issue in enumerate(s.issues):
        ax = axes[k]
        if bands is not None and issue.id in bands:
            low, mid, high = (np.asarray(v) for v in bands[issue.id])
            span = np.arange(len(mid))
            ax.fill_between(span, low, high, color=BAND_COLOUR, alpha=0.25, lw=0, label="forecast: 80% of runs")
            ax.plot(span, mid, color=BAND_COLOUR, lw=1.0, ls="--", alpha=0.9, label="forecast: median")
        if baseline is not None:
            _baseline_path(ax, baseline, baseline.history.text[:, k], _deal_value(baseline, issue.id))
        for a, party in enumerate(s.parties):
            colour = colours[party.id]
            ax.plot(rounds, h.positions[:, a, k], color=colour, lw=1.2, alpha=0.9, label=party.name)
            ax.axhline(party.ideal[issue.id], color=colour, lw=0.9, ls=":")
            low, high = red_lines_by_round(party, issue, rounds)
            if np.any(low > issue.min):
                ax.fill_between(rounds, issue.min, low, color=colour, alpha=0.12, hatch="//", lw=0)
            if np.any(high < issue.max):
                ax.fill_between(rounds, high, issue.max, color=colour, alpha=0.12, hatch="//", lw=0)
            if _has_bounds(party, issue):
                for bound in party.ratification.bounds[issue.id]:
                    if issue.min < bound < issue.max:
                        ax.axhline(bound, color=colour, lw=1.0, ls="-.", alpha=0.9)
        on_front = h.front is not None and s.battlefield is not None and s.battlefield.issue == issue.id
        line = no_deal_line(issue, rounds)
        if line is not None and not on_front:  # a battlefield's front replaces the path (drawn below)
            ax.plot(rounds, line, color=NO_DEAL_COLOUR, lw=1.4, ls="--", label="no-deal line")
        ax.plot(rounds, h.text[:, k], color=TEXT_COLOUR, lw=2.4, marker="o", ms=2.5, label="text on the table")
        if outcome.deal is not None:
            ax.plot(
                [outcome.round],
                [outcome.deal[issue.id]],
                marker="*",
                ms=14,
                color=DEAL_COLOUR,
                mec=TEXT_COLOUR,
                zorder=5,
                label="deal",
            )
        if on_front:
            ax.plot(rounds, h.front, color=FRONT_COLOUR, lw=1.4, ls="--", label="front line (no-deal line)")
        note = 0
        for (iid, pid, _), marks in by_issue.items():
            if iid != issue.id:
                continue
            where = [r for r, _, _ in marks]
            ax.plot(where, h.text[where, k], ls="none", marker="X", ms=9, color=FAILED_COLOUR, mec="white", zorder=6)
            first = marks[0][2]
            word = "over" if first.kind == "max" else "under"
            _annotate(
                ax,
                (where[0], h.text[where[0], k]),
                f"{s.party(pid).name} ratification fails ({_rounds_text(where)}):\n{word} its bound "
                f"{first.bound:.4g} by {first.margin:.2g}",
                note,
                h.text[where[0], k] > issue.min + 0.6 * issue.span,
            )
            note += 1
        mark_events(ax, outcome, k == 0)
        _mark_coalitions(ax, s, h.rounds, k == 0)
        ax.set_title(wrap(issue.label, 5.0, 9), fontsize=9)
        ax.tick_params(labelsize=7)
        label_issue_axis(ax, issue)
        right = h.rounds
        if baseline is not None or bands is not None:
            right = max(h.rounds, baseline.history.rounds if baseline is not None else 0, 1)
            if bands is not None and issue.id in bands:
                right = max(right, len(bands[issue.id][1]) - 1)
        ax.set_xlim(-0.5, max(right, 1) + 0.5)
        round_axis(ax, s, max(right, 1))
    extra.append((Line2D([], [], color=GREY, lw=0.9, ls=":"), "ideal (dotted, party colour)"))
    if any(any(p.red_lines[i.id][0] > i.min or p.red_lines[i.id][1] < i.max for i in s.issues) for p in s.parties):
        extra.append((Patch(facecolor=GREY, alpha=0.25, hatch="//", lw=0), "red line: forbidden zone (hatched)"))
    if any(_has_bounds(p, i) for p in s.parties for i in s.issues):
        extra.append((Line2D([], [], color=GREY, lw=1.0, ls="-."), "ratification bound (dash-dot)"))
    if failures:
        extra.append((Line2D([], [], ls="none", marker="X", ms=8, color=FAILED_COLOUR), "failed ratification"))
    extra += _event_keys(outcome)
    title = f"{s.title}: positions by round ({outcome.protocol})"
    return finish_panels(fig, axes, len(s.issues), title, tuple(extra))


def _event_keys(outcome: Outcome) -> list[tuple[object, str]]:
    keys = []
    if any(e["happened"] for e in (outcome.events() if outcome.scenario.events else [])):
        keys.append((Line2D([], [], color="#7f7f7f", lw=0.9, ls=(0, (1, 2))), "event (labelled on the first panel)"))
    if outcome.scenario.coalitions:
        keys.append((Line2D([], [], color="#8c6bb1", lw=0.9, ls=(0, (4, 2))), "coalition forms"))
    return keys


def _mark_coalitions(ax, scenario: Scenario, last: int, labelled: bool) -> None:
    """Dashed vertical lines at the rounds coalitions form (named on one panel)."""
    for coalition in scenario.coalitions:
        if coalition.from_round > last:
            continue
        ax.axvline(coalition.from_round, color="#8c6bb1", lw=0.9, ls=(0, (4, 2)), zorder=0)
        if labelled:
            names = " + ".join(scenario.party(m).name for m in coalition.members)
            ax.annotate(
                f"coalition {names}",
                (coalition.from_round, 0.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 2),
                textcoords="offset points",
                rotation=90,
                va="bottom",
                ha="left",
                fontsize=6,
                color="#8c6bb1",
            )


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
                wrap(str(event["label"]), 1.8, 6),
                (event["round"], 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(-1, -2),
                textcoords="offset points",
                rotation=90,
                va="top",
                ha="right",
                fontsize=6,
                color="#555555",
            )


def utilities_figure(outcome: Outcome, *, baseline: Outcome | None = None) -> Figure:
    """Per party: utility of the text, walk-away value and aspiration by round.

    The walk-away is the value in force in each round (it drifts); a party's
    ratification threshold (least utility, or even odds of passage) is a
    dash-dot line; each failed ratification is a cross at the text's utility,
    with its reason.

    Args:
        outcome: The run (finished, or still going: its history so far).
        baseline: Another run of the same parties, whose utility of the text
            is drawn faintly behind.
    """
    s = outcome.scenario
    h = outcome.history
    colours = party_colours(s)
    rows, cols = _grid(len(s.parties))
    fig = Figure(figsize=(5.2 * cols, 2.8 * rows + 1.3), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True).ravel()
    rounds = np.arange(h.rounds + 1)
    failures = _grouped(_failures(outcome), lambda pid, b: pid)
    right = max(h.rounds, baseline.history.rounds if baseline is not None else 0, 1)
    extra: list[tuple[object, str]] = []
    for a, party in enumerate(s.parties):
        ax = axes[a]
        colour = colours[party.id]
        if baseline is not None:
            _baseline_path(ax, baseline, baseline.history.utility[:, a], None, "utility as loaded (baseline)")
        ax.plot(rounds, h.utility[:, a], color=colour, lw=2)
        ax.plot(rounds, h.walkaway[:, a], color=colour, lw=1.2, ls="--")
        ax.plot(rounds, h.aspiration[:, a], color=colour, lw=1, ls=":")
        accepted = np.flatnonzero(h.accepts[:, a])
        ax.plot(accepted, h.utility[accepted, a], ls="none", marker="o", ms=4, color=colour, mfc="white")
        rat = party.ratification
        if rat is not None and (rat.min_utility is not None or rat.midpoint is not None):
            level = rat.min_utility if rat.min_utility is not None else rat.midpoint
            ax.axhline(level, color=colour, lw=0.9, ls="-.", alpha=0.9)
        marks = failures.get(party.id, [])
        if marks:
            where = sorted({r for r, _, _ in marks})
            ax.plot(where, h.utility[where, a], ls="none", marker="X", ms=9, color=FAILED_COLOUR, mec="white", zorder=6)
            reasons = list(dict.fromkeys(b.short for _, _, b in marks))
            shown = "; ".join(reasons[:2]) + (f" (+{len(reasons) - 2} more)" if len(reasons) > 2 else "")
            _annotate(
                ax,
                (where[0], h.utility[where[0], a]),
                wrap(f"ratification fails ({_rounds_text(where)}): {shown}", 3.0, 6),
                0,
                h.utility[where[0], a] > 0.6,
            )
        if h.walked[:, a].any():
            r = int(np.argmax(h.walked[:, a]))
            ax.plot([r], [h.walkaway[r, a]], marker="v", ms=8, color=colour, mec=TEXT_COLOUR, ls="none", zorder=6)
        if outcome.round is not None:
            ax.axvline(outcome.round, color=TEXT_COLOUR, lw=0.8, ls="-.")
        ax.set_title(party.name, fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(-0.5, right + 0.5)
        ax.tick_params(labelsize=7)
        round_axis(ax, s, right)
        ax.set_ylabel("utility", fontsize=8)
    extra += [
        (Line2D([], [], color=GREY, lw=2), "utility of the text"),
        (Line2D([], [], color=GREY, lw=1.2, ls="--"), "walk-away in force"),
        (Line2D([], [], color=GREY, lw=1, ls=":"), "aspiration"),
        (Line2D([], [], ls="none", marker="o", ms=4, color=GREY, mfc="white"), "accepts the text"),
    ]
    if any(p.ratification and (p.ratification.min_utility or p.ratification.midpoint) for p in s.parties):
        extra.append((Line2D([], [], color=GREY, lw=0.9, ls="-."), "ratification: least utility / even odds"))
    if failures:
        extra.append((Line2D([], [], ls="none", marker="X", ms=8, color=FAILED_COLOUR), "failed ratification"))
    if h.walked.any():
        extra.append((Line2D([], [], ls="none", marker="v", ms=7, color=GREY, mec=TEXT_COLOUR), "walks out"))
    if outcome.round is not None:
        extra.append((Line2D([], [], color=TEXT_COLOUR, lw=0.8, ls="-."), f"deal (round {outcome.round})"))
    title = f"{s.title}: utility vs walk-away ({outcome.protocol}); party colours as in every figure"
    return finish_panels(fig, axes, len(s.parties), title, tuple(extra))


BENCHMARK_MARKS = {
    "nash": ("D", "Nash"),
    "kalai_smorodinsky": ("s", "Kalai-Smorodinsky"),
    "compromise": ("^", "compromise"),
    "weighted_median": ("v", "weighted median"),
}
SAME_POINT = 0.01
"""Benchmarks closer than this in both utilities are one point on the plane (drawn nested, said so)."""


def utility_plane_figure(
    outcome: Outcome,
    parties: tuple[str, str] | None = None,
    frontier: tuple | None = None,
    *,
    baseline: Outcome | None = None,
    current: bool = False,
) -> Figure:
    """Utilities of two parties: Pareto frontier, walk-aways, benchmarks, text path, deal.

    The walk-away lines are those in force at the deal (at the end without
    one), with their path since round 0; where the red lines exclude each
    other there is no frontier and the figure says why.

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
    colours = party_colours(s)
    name_a, name_b = s.party(a_id).name, s.party(b_id).name
    utils, _ = frontier if frontier is not None else pareto_frontier(s, (a_id, b_id))
    fig = Figure(figsize=(6.2, 7.4), dpi=DPI)
    ax = fig.subplots()
    if len(utils):
        ax.plot(utils[:, 0], utils[:, 1], color="#555555", lw=2, label="Pareto frontier")
    clashes = line_clashes(s)
    note = None
    if clashes:
        note = clash_sentence(s, clashes) + " (no frontier, no Nash solution)"
    elif "nash" in outcome.benchmarks and outcome.benchmarks["nash"] is None:
        note = "no Nash solution: no text gives every party more than its walk-away value (round 0)"
    if note:
        ax.text(
            0.5,
            0.97,
            wrap(note, 5.0, 7.5),
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=7.5,
            color=FAILED_COLOUR,
            bbox={"facecolor": "white", "edgecolor": FAILED_COLOUR, "lw": 0.8, "alpha": 0.9},
        )
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
    ax.annotate("round 0", (h.utility[0, a], h.utility[0, b]), xytext=(4, 4), textcoords="offset points", fontsize=6.5)
    at = outcome.round if outcome.round is not None else h.rounds
    when = f"at the deal, round {at}" if outcome.deal is not None else f"at round {at}"
    wa, wb = h.walkaway[at, a], h.walkaway[at, b]
    moved = not (np.allclose(h.walkaway[: at + 1, a], wa) and np.allclose(h.walkaway[: at + 1, b], wb))
    if moved:
        ax.axvline(h.walkaway[0, a], color=colours[a_id], ls=":", lw=0.9, alpha=0.8)
        ax.axhline(h.walkaway[0, b], color=colours[b_id], ls=":", lw=0.9, alpha=0.8)
        ax.plot(
            h.walkaway[: at + 1, a],
            h.walkaway[: at + 1, b],
            color="#7f7f7f",
            lw=1.2,
            ls="--",
            marker=".",
            ms=3,
            label="walk-aways' path, round 0 to " + ("the deal" if outcome.deal is not None else f"{at}"),
        )
    ax.axvline(wa, color=colours[a_id], ls="--", lw=1.2, label=f"{name_a} walk-away {when}")
    ax.axhline(wb, color=colours[b_id], ls="--", lw=1.2, label=f"{name_b} walk-away {when}")
    _benchmarks(ax, outcome, a, b)
    failed = sorted({r for r, _, _ in _failures(outcome)})
    if failed:
        ax.plot(
            h.utility[failed, a],
            h.utility[failed, b],
            ls="none",
            marker="X",
            ms=8,
            color=FAILED_COLOUR,
            mec="white",
            zorder=8,
            label=f"text whose ratification failed ({_rounds_text(failed)})",
        )
    if outcome.deal is not None:
        u = utilities_of(s, outcome.deal)
        ax.plot(
            u[a],
            u[b],
            marker="*",
            ms=16,
            ls="none",
            color=DEAL_COLOUR,
            mec=TEXT_COLOUR,
            zorder=7,
            label=f"deal (round {outcome.round})",
        )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"utility of {name_a}", fontsize=9)
    ax.set_ylabel(f"utility of {name_b}", fontsize=9)
    ax.tick_params(labelsize=7)
    extra = []
    if moved:
        extra.append((Line2D([], [], color=GREY, ls=":", lw=0.9), "walk-aways at round 0 (dotted)"))
    handles, labels = ax.get_legend_handles_labels()
    for handle, label in extra:
        handles.append(handle)
        labels.append(label)
    return lay_out(fig, f"{s.title}: utility plane ({outcome.protocol})", handles, labels)


def _benchmarks(ax, outcome: Outcome, a: int, b: int) -> None:
    """The benchmark solutions; those at one point drawn nested (larger behind) and named together."""
    s = outcome.scenario
    points = []
    for key, (marker, name) in BENCHMARK_MARKS.items():
        point = outcome.benchmarks.get(key)
        if point is not None:
            u = utilities_of(s, point)
            points.append((marker, name, u[a], u[b]))
    for k, (marker, name, x, y) in enumerate(points):
        same = [n for m, n, x2, y2 in points[:k] if abs(x - x2) < SAME_POINT and abs(y - y2) < SAME_POINT]
        size = 8 + 5 * len(same)
        label = f"{name} (same point as {' and '.join(same)})" if same else name
        ax.plot(
            x,
            y,
            marker=marker,
            ms=size,
            ls="none",
            mec=TEXT_COLOUR,
            mfc="none" if same else "white",
            label=label,
            zorder=4 - 0.1 * len(same),
        )


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
