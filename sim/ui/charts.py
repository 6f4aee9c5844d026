"""The classroom's live figures: bqplot charts whose marks are updated in place.

The report's figures (``sim.report.plots``) are matplotlib images: drawing one
takes 0.2-1.2 s, too slow to follow a slider. These charts are bqplot marks
in the browser: the scales and axes are made once per chart, and a new run
only sends the marks' new data (a few hundred numbers), so a slider change
shows in the figures as soon as the run is computed.

The data of each chart is built by a plain function (``plane_data``,
``positions_data``, ``utilities_data``: tested without a browser); the
components only turn it into marks. Party colours come from
:func:`party_colours`, the one place the UI chooses them.
"""

from __future__ import annotations

from typing import Any

import bqplot
import numpy as np
import solara

from sim.benchmarks.problem import BargainingProblem
from sim.core.scenario import Scenario
from sim.engine.outcome import History

__all__ = [
    "BENCHMARK_MARKS",
    "OKABE_ITO",
    "PlaneChart",
    "PositionsChart",
    "UtilitiesChart",
    "party_colours",
    "plane_data",
    "positions_data",
    "utilities_data",
]

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""Okabe & Ito's colour-blind-safe palette (blue, vermillion, green, purple, orange, sky, yellow, black)."""
TEXT_COLOUR = "#222222"
FAINT = "#B0B0B0"
BENCHMARK_MARKS = {"nash": ("Nash point", "diamond"), "kalai_smorodinsky": ("Kalai-Smorodinsky", "triangle-up")}


def party_colours(scenario: Scenario) -> dict[str, str]:
    """One colour per party, the same in every classroom chart and in every figure of the reports.

    The report palette (:func:`sim.report.style.party_colours`: Okabe-Ito, pinned by party id) so
    Russia is the same colour on the page as in ``utilities.png``.
    """
    from sim.report.style import party_colours as report_colours

    return report_colours(scenario)


def _utilities(scenario: Scenario, text: dict[str, float]) -> np.ndarray:
    z = np.array([(text[i.id] - i.min) / i.span for i in scenario.issues])
    return BargainingProblem.from_scenario(scenario).utilities(z)


def plane_data(
    scenario: Scenario,
    history: History,
    pair: tuple[str, str],
    frontier: np.ndarray,
    benchmarks: dict[str, dict[str, float] | None],
    deal: dict[str, float] | None,
    done: bool,
    baseline: History | None = None,
    baseline_deal: dict[str, float] | None = None,
) -> dict[str, Any]:
    """What the utility plane of two parties shows, as plain numbers.

    Returns:
        ``{"frontier": (x, y), "path": (x, y), "now": (x, y) | None, "deal": (x, y) | None,
        "walkaway": (x_w, y_w) in force at the last round shown, "benchmarks": {name: (x, y)},
        "baseline_path", "baseline_deal", "now_label"}``.
    """
    ids = scenario.party_ids
    a, b = ids.index(pair[0]), ids.index(pair[1])
    out: dict[str, Any] = {
        "frontier": (frontier[:, 0].tolist(), frontier[:, 1].tolist()) if len(frontier) else ([], []),
        "path": (history.utility[:, a].tolist(), history.utility[:, b].tolist()),
        "walkaway": (float(history.walkaway[-1, a]), float(history.walkaway[-1, b])),
        "benchmarks": {},
        "deal": None,
        "now": None,
        "now_label": "",
        "baseline_path": None,
        "baseline_deal": None,
    }
    for name in BENCHMARK_MARKS:
        text = benchmarks.get(name)
        if text is not None:
            u = _utilities(scenario, text)
            out["benchmarks"][name] = (float(u[a]), float(u[b]))
    if deal is not None:
        u = _utilities(scenario, deal)
        out["deal"] = (float(u[a]), float(u[b]))
    elif not done:  # the text on the table while the run goes on (never after it has ended)
        out["now"] = (float(history.utility[-1, a]), float(history.utility[-1, b]))
        out["now_label"] = f"text on the table (round {len(history.utility) - 1})"
    if baseline is not None:
        out["baseline_path"] = (baseline.utility[:, a].tolist(), baseline.utility[:, b].tolist())
        if baseline_deal is not None:
            u = _utilities(scenario, baseline_deal)
            out["baseline_deal"] = (float(u[a]), float(u[b]))
    return out


def positions_data(
    scenario: Scenario,
    history: History,
    issue: str,
    band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    baseline: History | None = None,
) -> dict[str, Any]:
    """Positions by round on one issue: the text, each party's demand, ideals, red lines, the forecast band.

    As the PNG figures draw them (:mod:`sim.report.plots`): red lines in force
    in each round (they soften), ratification bounds, and the no-deal line.
    ``red_lines[pid]`` lists the party's lines inside the scale, each a list of
    values by round; ``bounds[pid]`` its parliament's bounds inside the scale;
    ``no_deal`` the no-deal line by round, or None.
    """
    from sim.report.plots import no_deal_line, red_lines_by_round

    k = scenario.issue_ids.index(issue)
    rounds = list(range(len(history.text)))
    issue_ = scenario.issue(issue)
    out: dict[str, Any] = {
        "rounds": rounds,
        "text": history.text[:, k].tolist(),
        "demands": {p.id: history.positions[:, j, k].tolist() for j, p in enumerate(scenario.parties)},
        "ideals": {p.id: float(p.ideal[issue]) for p in scenario.parties},
        "red_lines": {},
        "bounds": {},
        "no_deal": None,
        "band": None,
        "baseline": None,
        "scale": (issue_.min, issue_.max),
    }
    at = np.arange(len(rounds), dtype=float)
    for p in scenario.parties:
        lines = [
            line.tolist()
            for line in red_lines_by_round(p, issue_, at)
            if np.any((line > issue_.min) & (line < issue_.max))
        ]
        if lines:
            out["red_lines"][p.id] = lines
        if p.ratification is not None and issue in p.ratification.bounds:
            inside = [float(v) for v in p.ratification.bounds[issue] if issue_.min < v < issue_.max]
            if inside:
                out["bounds"][p.id] = inside
    line = no_deal_line(issue_, at)
    if line is not None:
        out["no_deal"] = line.tolist()
    if band is not None:
        p10, _, p90 = band
        n = len(p10)
        out["band"] = (list(range(n)), np.asarray(p10, dtype=float).tolist(), np.asarray(p90, dtype=float).tolist())
    if baseline is not None:
        out["baseline"] = (list(range(len(baseline.text))), baseline.text[:, k].tolist())
    return out


def utilities_data(scenario: Scenario, history: History) -> dict[str, Any]:
    """Each party's utility of the text and its walk-away value, by round."""
    return {
        "rounds": list(range(len(history.utility))),
        "utility": {p.id: history.utility[:, j].tolist() for j, p in enumerate(scenario.parties)},
        "walkaway": {p.id: history.walkaway[:, j].tolist() for j, p in enumerate(scenario.parties)},
    }


# --------------------------------------------------------------------------
# Components: scales and axes made once per chart, marks updated in place.
# --------------------------------------------------------------------------
FIGURE_LAYOUT = {"width": "100%", "height": "520px"}
LEGEND = {"legend_location": "top-left", "legend_style": {"fill": "white", "fill-opacity": 0.85}}


def _scales(**options: Any) -> dict[str, bqplot.LinearScale]:
    return solara.use_memo(
        lambda: {"x": bqplot.LinearScale(**options.get("x", {})), "y": bqplot.LinearScale(**options.get("y", {}))}, []
    )


def _line(x, y, scales, colour, label, **kw) -> Any:
    return bqplot.Lines.element(
        x=np.asarray(x, dtype=float),
        y=np.asarray(y, dtype=float),
        scales=scales,
        colors=[colour],
        labels=[label],
        display_legend=bool(label),
        **kw,
    )


def _point(xy, scales, colour, label, marker, size=90) -> Any:
    x, y = ([], []) if xy is None else ([xy[0]], [xy[1]])
    return bqplot.Scatter.element(
        x=np.asarray(x, dtype=float),
        y=np.asarray(y, dtype=float),
        scales=scales,
        colors=[colour],
        marker=marker,
        default_size=size,
        labels=[label],
        display_legend=xy is not None and bool(label),
    )


def _figure(marks: list, scales: dict, x_label: str, y_label: str, title: str, css: str) -> None:
    axes = [
        bqplot.Axis.element(scale=scales["x"], label=x_label, grid_lines="dashed"),
        bqplot.Axis.element(scale=scales["y"], label=y_label, orientation="vertical", grid_lines="dashed"),
    ]
    with solara.Div(classes=["negsim-chart", css]):
        bqplot.Figure.element(
            marks=marks,
            axes=axes,
            title=title,
            layout=FIGURE_LAYOUT,
            fig_margin={"top": 40, "bottom": 50, "left": 60, "right": 20},
            **LEGEND,
        )


@solara.component
def PlaneChart(data: dict[str, Any], names: dict[str, str], colours: dict[str, str], pair: tuple[str, str]):
    """The utility plane of two parties (see :func:`plane_data`)."""
    scales = _scales(x={"min": 0.0, "max": 1.0}, y={"min": 0.0, "max": 1.0})
    a, b = pair
    wx, wy = data["walkaway"]
    marks = [_line(*data["frontier"], scales, "#555555", "Pareto frontier", stroke_width=2)]
    if data["baseline_path"] is not None:
        marks.append(_line(*data["baseline_path"], scales, FAINT, "file as loaded", stroke_width=1))
    marks += [
        _line([wx, wx], [0, 1], scales, colours[a], f"{names[a]}'s walk-away", line_style="dashed"),
        _line([0, 1], [wy, wy], scales, colours[b], f"{names[b]}'s walk-away", line_style="dashed"),
        _line(*data["path"], scales, TEXT_COLOUR, "path of the text", marker="circle", marker_size=12),
    ]
    for name, (label, marker) in BENCHMARK_MARKS.items():
        marks.append(_point(data["benchmarks"].get(name), scales, "#6A3D9A", label, marker))
    marks.append(_point(data["baseline_deal"], scales, FAINT, "deal as loaded", "square", 120))
    marks.append(_point(data["now"], scales, TEXT_COLOUR, data["now_label"] or "text on the table", "circle", 110))
    marks.append(_point(data["deal"], scales, "#D4A000", "deal", "square", 220))
    _figure(marks, scales, f"{names[a]}'s utility", f"{names[b]}'s utility", "", "negsim-plane")


@solara.component
def PositionsChart(data: dict[str, Any], label: str, names: dict[str, str], colours: dict[str, str]):
    """Positions by round on one issue (see :func:`positions_data`)."""
    low, high = data["scale"]
    scales = _scales(y={"min": float(low), "max": float(high)})
    scales["y"].min, scales["y"].max = float(low), float(high)
    last = max(len(data["rounds"]) - 1, 1)
    marks = []
    if data["band"] is not None:
        rounds, p10, p90 = data["band"]
        marks.append(
            bqplot.Lines.element(
                x=np.asarray(rounds, dtype=float),
                y=np.asarray([p10, p90], dtype=float),
                scales=scales,
                fill="between",
                fill_colors=["#9ecae1"],
                fill_opacities=[0.35],
                colors=["#9ecae1", "#9ecae1"],
                labels=["forecast: 10th percentile", "forecast: 90th percentile"],
                display_legend=True,
            )
        )
    if data["baseline"] is not None:
        marks.append(_line(*data["baseline"], scales, FAINT, "text, file as loaded"))
    keys = {"dotted": "ideals (dotted)", "dashed": "red lines in force (dashed)"}
    keys["dash_dotted"] = "ratification bounds (dash-dot)"
    for pid, ideal in data["ideals"].items():
        marks.append(
            _line([0, last], [ideal, ideal], scales, colours[pid], keys.pop("dotted", ""), line_style="dotted")
        )
    for pid, lines in data["red_lines"].items():
        for values in lines:
            marks.append(
                _line(data["rounds"], values, scales, colours[pid], keys.pop("dashed", ""), line_style="dashed")
            )
    for pid, bounds in data.get("bounds", {}).items():
        for value in bounds:
            label = keys.pop("dash_dotted", "")
            marks.append(_line([0, last], [value, value], scales, colours[pid], label, line_style="dash_dotted"))
    if data.get("no_deal") is not None:
        marks.append(_line(data["rounds"], data["no_deal"], scales, FAINT, "no-deal line", line_style="dashed"))
    for pid, values in data["demands"].items():
        marks.append(_line(data["rounds"], values, scales, colours[pid], f"{names[pid]} asks", stroke_width=1.5))
    marks.append(_line(data["rounds"], data["text"], scales, TEXT_COLOUR, "the text", stroke_width=3))
    _figure(marks, scales, "round", label, "", "negsim-positions")


@solara.component
def UtilitiesChart(data: dict[str, Any], names: dict[str, str], colours: dict[str, str]):
    """Each party's utility of the text (solid) and walk-away value (dashed), by round."""
    scales = _scales(y={"min": 0.0, "max": 1.0})
    marks = []
    for pid, values in data["utility"].items():
        marks.append(_line(data["rounds"], values, scales, colours[pid], names[pid], stroke_width=2))
        marks.append(_line(data["rounds"], data["walkaway"][pid], scales, colours[pid], "", line_style="dashed"))
    _figure(marks, scales, "round", "utility of the text (walk-away dashed)", "", "negsim-utilities")
