"""Figures of a forecast: a fan chart per issue, the time-to-deal curve, the cloud of deals.

Drawn on ``matplotlib.figure.Figure`` objects (no pyplot state), in the
style of :mod:`sim.report.plots`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.benchmarks.solutions import pareto_frontier
from sim.experiments.forecast import FAN, Forecast
from sim.report.plots import finish_panels, label_issue_axis, save
from sim.report.style import DEAL_COLOUR, DPI, FAILED_COLOUR, TEXT_COLOUR, lay_out, party_colours, round_axis

__all__ = ["cloud_figure", "fan_figure", "forecast_figures", "time_to_deal_figure"]

FAN_COLOUR = "#2e86c1"


def _grid(n: int) -> tuple[int, int]:
    cols = 2 if n > 1 else 1
    return (n + cols - 1) // cols, cols


def _round_axis(ax, forecast: Forecast) -> None:
    """Rounds on the x axis, the horizon marked; dates under the rounds with a calendar."""
    ax.axvline(forecast.horizon, color="#888888", lw=0.8, ls="--")
    cal = forecast.calendar
    if cal is not None:
        ticks = [int(t) for t in MaxNLocator(nbins=5, integer=True).tick_values(0, forecast.rounds_run)]
        ticks = [t for t in ticks if 0 <= t <= forecast.rounds_run]
        ax.set_xticks(ticks, [f"{t}\n{cal.date_of(t).day} {cal.date_of(t):%b %y}" for t in ticks], fontsize=6)
        ax.set_xlabel("round / date", fontsize=8)
    else:
        round_axis(ax, None, forecast.rounds_run)


def fan_figure(forecast: Forecast) -> Figure:
    """Per issue: the text on the table by round across the draws (10-90% and 25-75% bands, median)."""
    s = forecast.scenario
    fan = forecast.fan(FAN)
    rounds = np.arange(fan.shape[0])
    rows, cols = _grid(len(s.issues))
    fig = Figure(figsize=(5.2 * cols, 2.9 * rows + 0.7), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for k, issue in enumerate(s.issues):
        ax = axes[k]
        p10, p25, p50, p75, p90 = (fan[:, j, k] for j in range(len(FAN)))
        ax.fill_between(rounds, p10, p90, color=FAN_COLOUR, alpha=0.18, lw=0, label="10-90% of runs")
        ax.fill_between(rounds, p25, p75, color=FAN_COLOUR, alpha=0.35, lw=0, label="25-75% of runs")
        ax.plot(rounds, p50, color=FAN_COLOUR, lw=2, label="median")
        band = forecast.issue_band(issue.id)
        if band["p50"] is not None:
            ax.errorbar(
                [rounds[-1] + 0.8],
                [band["p50"]],
                yerr=[[band["p50"] - band["p10"]], [band["p90"] - band["p50"]]],
                fmt="*",
                ms=10,
                color=DEAL_COLOUR,
                mec=TEXT_COLOUR,
                ecolor=TEXT_COLOUR,
                capsize=3,
                label="deal (median, 80% band)",
            )
        ax.set_title(issue.label, fontsize=9)
        ax.tick_params(labelsize=7)
        label_issue_axis(ax, issue)
        _round_axis(ax, forecast)
    title = f"{s.title}: the text by round across {forecast.runs:,} draws ({forecast.protocol})"
    horizon = (Line2D([], [], color="#888888", lw=0.8, ls="--"), "horizon")
    return finish_panels(fig, axes, len(s.issues), title, (horizon,))


def time_to_deal_figure(forecast: Forecast) -> Figure:
    """The share of runs with a deal by each round, with the dates asked about."""
    curve = forecast.time_to_deal
    fig = Figure(figsize=(6.4, 3.8), dpi=DPI)
    ax = fig.subplots()
    ax.step(np.arange(len(curve)), curve, where="post", color=FAN_COLOUR, lw=2, label="share of runs with a deal")
    ax.axhline(
        forecast.p_deal, color=TEXT_COLOUR, lw=0.8, ls=":", label=f"P(deal) within the horizon: {forecast.p_deal:.0%}"
    )
    for date in forecast.by:
        last = forecast.last_round_by(date)
        p = forecast.p_deal_by(date)
        ax.plot([last], [p], marker="o", color=TEXT_COLOUR, ls="none")
        ax.annotate(f"by {date}: {p:.0%}", (last, p), textcoords="offset points", xytext=(4, -12), fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("share of runs", fontsize=8)
    ax.tick_params(labelsize=7)
    _round_axis(ax, forecast)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#888888", lw=0.8, ls="--"))
    labels.append("horizon" + (" (the run goes past it, for a date)" if forecast.extended else ""))
    return lay_out(fig, f"{forecast.scenario.title}: time to a deal", handles, labels, title_size=9)


def cloud_figure(forecast: Forecast, parties: tuple[str, str] | None = None) -> Figure:
    """The utility plane of two parties with the cloud of deals across the draws."""
    s = forecast.scenario
    a_id, b_id = parties or s.main_parties
    a, b = s.party_ids.index(a_id), s.party_ids.index(b_id)
    colours = party_colours(s)
    fig = Figure(figsize=(6.2, 6.6), dpi=DPI)
    ax = fig.subplots()
    utils, _ = pareto_frontier(s, (a_id, b_id))
    if len(utils):
        ax.plot(utils[:, 0], utils[:, 1], color="#555555", lw=2, label="Pareto frontier")
    deal = forecast.deal_in_horizon
    u = forecast.utility
    ax.scatter(
        u[deal, a], u[deal, b], s=6, alpha=0.25, color=FAN_COLOUR, lw=0, label=f"deals ({deal.mean():.0%} of runs)"
    )
    if (~deal).any():
        ax.scatter(
            u[~deal, a],
            u[~deal, b],
            s=6,
            alpha=0.25,
            color=FAILED_COLOUR,
            marker="x",
            lw=0.6,
            label="no deal: walk-aways at the end",
        )
    name_a, name_b = s.party(a_id).name, s.party(b_id).name
    ax.axvline(s.party(a_id).walkaway, color=colours[a_id], ls="--", lw=1, label=f"{name_a} walk-away (round 0)")
    ax.axhline(s.party(b_id).walkaway, color=colours[b_id], ls="--", lw=1, label=f"{name_b} walk-away (round 0)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"utility of {s.party(a_id).name}", fontsize=9)
    ax.set_ylabel(f"utility of {s.party(b_id).name}", fontsize=9)
    ax.tick_params(labelsize=7)
    handles, labels = ax.get_legend_handles_labels()
    return lay_out(fig, f"{s.title}: deals across {forecast.runs:,} draws", handles, labels)


FIGURES = {
    "fan_chart.png": fan_figure,
    "time_to_deal.png": time_to_deal_figure,
    "deal_cloud.png": cloud_figure,
}


def forecast_figures(forecast: Forecast, out_dir: Path) -> list[Path]:
    """Write the three forecast figures into ``out_dir``."""
    return [save(make(forecast), Path(out_dir) / name) for name, make in FIGURES.items()]
