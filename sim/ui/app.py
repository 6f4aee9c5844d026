"""The classroom UI in the browser: sliders, live plots, save as scenario.

Start it with ``negsim ui [SCENARIO]`` (or ``solara run sim.ui.app``). The page is
built from Mesa's SolaraViz parts: Mesa's ``ModelController`` (Reset, play,
Step; it rebuilds the model from the parameters on Reset), Mesa's
``UserInputs`` (one slider or select per entry of ``model_params``) and Mesa's
``update_counter`` that redraws the plots after every step. Unlike
``SolaraViz`` itself, the page owns the parameters, so that

* moving a slider applies at once: the run restarts at round 0 with the new
  value (and keeps playing if it was playing);
* "Save as scenario" writes exactly the sliders' state as a scenario file;
* the scenario picker swaps the whole set of sliders.

The model is :class:`sim.classroom.ClassroomModel` (the ordinary
:class:`~sim.model.NegotiationModel` built from flat parameters); the figures
are ``sim/plots.py``'s, with the run of the file as loaded drawn faintly
behind ("compare with baseline") and the forecast of the sliders' scenario
(500 draws of its ranges and random streams) as a band behind the text. The
results panel says the forecast in one sentence and, once the run is over,
why it ended as it did (binding constraints, ratification, who gave way);
both follow every slider.
"""

from __future__ import annotations

import html
import io
import os
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara
import solara.lab
from matplotlib.figure import Figure

with warnings.catch_warnings():
    # solara's hook checker flags a Mesa component we do not use (ComponentsView)
    warnings.filterwarnings("ignore", message=".*ComponentsView.*", category=UserWarning)
    from mesa.visualization.solara_viz import ModelController, ShowSteps, UserInputs
    from mesa.visualization.utils import update_counter

from sim.core.errors import UserError
from sim.core.scenario import Scenario
from sim.report.plots import plain_text, trajectories_figure, utilities_figure, utility_plane_figure
from sim.ui.classroom import (
    UI_FORECAST_RUNS,
    ClassroomModel,
    Snapshot,
    baseline_run,
    control_notes,
    controls,
    default_scenario,
    explanation_for,
    forecast_for,
    forecast_line,
    frontier_for,
    load_cached,
    saved_filename,
    scenario_files,
    scenario_toml,
    solutions_for,
    summary,
)

__all__ = ["ClassroomApp", "Page"]

FIGURE_DPI = 96
DEBOUNCE_S = 0.15  # wait this long for a newer state before drawing
PLAY_INTERVAL_MS = 400
SIDEBAR_CSS = """
.v-navigation-drawer { width: 400px !important; }
.negsim-results table { border-collapse: collapse; margin: 6px 0 10px 0; font-size: 13px; }
.negsim-results th, .negsim-results td {
  border-bottom: 1px solid #ddd; padding: 2px 10px 2px 0; text-align: left;
}
.negsim-results p { margin: 0 0 6px 0; }
.negsim-figure img { width: 100%; height: auto; }
.negsim-trajectories img, .negsim-utilities img { max-width: 1100px; }
"""


def ui_config() -> tuple[str, str]:
    """The scenario to open and the folder to pick scenarios from.

    ``negsim ui`` passes them in ``$NEGSIM_UI_SCENARIO`` and ``$NEGSIM_UI_DIR``;
    without them the page opens the first file of ``scenarios/``.
    """
    scenario = default_scenario()
    folder = os.environ.get("NEGSIM_UI_DIR") or str(Path(scenario).parent)
    return scenario, folder


@solara.component
def Page():
    """The page ``solara run sim.ui.app`` serves."""
    try:
        scenario, folder = ui_config()
    except UserError as exc:
        solara.Error(str(exc))
        return
    ClassroomApp(scenario, folder)


def _params_of(base: Scenario, path: str) -> dict[str, Any]:
    """The model's keyword arguments with every control at the file's value."""
    return {"scenario": path, **{name: c.value for name, c in controls(base).items()}}


@solara.component
def ClassroomApp(scenario_path: str, scenario_dir: str | None = None):
    """The whole classroom page for one starting scenario.

    Args:
        scenario_path: The scenario file opened first.
        scenario_dir: Folder whose ``*.toml`` files the scenario picker offers
            (default: the scenario's folder).
    """
    files = solara.use_memo(lambda: scenario_files(scenario_dir or Path(scenario_path).parent, also=scenario_path), [])
    first = solara.use_memo(lambda: load_cached(scenario_path), [])
    params = solara.use_reactive(solara.use_memo(lambda: _params_of(first, scenario_path), []))
    model = solara.use_reactive(solara.use_memo(lambda: ClassroomModel(**params.value), []))
    sliders_key = solara.use_reactive(0)  # remounts the sliders (new scenario, restore)
    controller_key = solara.use_reactive(0)  # remounts Mesa's controller after a finished run
    error = solara.use_reactive(None)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)  # Mesa's controller reads these as reactives
    use_threads = solara.use_reactive(False)
    compare = solara.use_reactive(True)

    base: Scenario = model.value.base
    names = {p.id: p.name for p in base.parties}
    pair = solara.use_reactive(tuple(base.main_parties))
    shown_pair = pair.value if set(pair.value) <= set(names) else tuple(base.main_parties)

    def apply(new_params: dict[str, Any], remount_sliders: bool = False) -> None:
        """Rebuild the model from new parameters; report a bad value instead."""
        try:
            new_model = ClassroomModel(**new_params)
        except UserError as exc:
            error.set("Not applied: " + "; ".join(str(p) for p in exc.problems))
            return
        error.set(None)
        finished = model.value.done  # Mesa's controller then shows Step/play disabled
        params.set(new_params)
        model.set(new_model)
        if finished:
            controller_key.set(controller_key.value + 1)
        if remount_sliders:
            sliders_key.set(sliders_key.value + 1)

    def on_change(name: str, value: Any) -> None:
        control = controls(base).get(name)
        try:
            value = control.clean(value) if control else value
        except UserError as exc:
            error.set("Not applied: " + "; ".join(str(p) for p in exc.problems))
            return
        if params.value.get(name) == value:
            return  # a slider re-sending its value (e.g. when shown) changes nothing
        apply({**params.value, name: value})

    def pick_scenario(name: str) -> None:
        path = files.get(name)
        if path is None:
            return
        try:
            chosen = load_cached(path)
        except UserError as exc:
            error.set("Cannot open: " + "; ".join(str(p) for p in exc.problems))
            return
        pair.set(tuple(chosen.main_parties))
        apply(_params_of(chosen, path), remount_sliders=True)

    def restore() -> None:
        apply(_params_of(base, params.value["scenario"]), remount_sliders=True)

    values = {k: v for k, v in params.value.items() if k != "scenario"}
    current_file = next((n for n, p in files.items() if p == params.value["scenario"]), None)

    solara.Style(SIDEBAR_CSS)
    with solara.AppBar():
        solara.AppBarTitle(f"negsim classroom: {base.title}")

    with solara.Sidebar(), solara.Column():
        with solara.Card("Scenario"):
            solara.Select("scenario file", values=list(files), value=current_file, on_value=pick_scenario)
            with solara.Row(justify="space-between"):
                solara.FileDownload(
                    lambda: scenario_toml(base, values),
                    filename=saved_filename(base, values),
                    label="Save as scenario",
                    mime_type="application/toml",
                )
                solara.Button("Restore", on_click=restore, outlined=True, icon_name="mdi-restore")
            solara.Checkbox(label="Compare with the file as loaded (faint)", value=compare)
            if error.value:
                solara.Error(error.value)
        with solara.Card("Run"):
            ModelController(
                model,
                model_parameters=params,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            ).key(f"controller-{controller_key.value}")
            ShowSteps(model.value)
            solara.SliderInt("play: ms per round", value=play_interval, min=50, max=2000, step=50)
            _inputs(base, values, "run", on_change, sliders_key.value)
        with solara.Card("Mediator bias"):
            _inputs(base, values, "mediator", on_change, sliders_key.value)
        with solara.Card("Parties"):
            for index, party in enumerate(base.parties):
                with solara.Details(summary=party.name, expand=index < 2):
                    _inputs(base, values, party.id, on_change, sliders_key.value)

    LiveView(model.value, shown_pair, compare.value, names, lambda a, b: pair.set((a, b)))


def _inputs(base: Scenario, values: dict[str, Any], group: str, on_change: Callable, key: int) -> None:
    """Mesa's UserInputs for the controls of one group, remounted when ``key`` changes."""
    group_params = {name: c.param(values.get(name)) for name, c in controls(base).items() if c.group == group}
    note = control_notes(base).get(group)
    if note:
        solara.Info(note, dense=True)
    UserInputs(group_params, on_change=on_change).key(f"{group}-{key}")


@solara.component
def LiveView(
    model: ClassroomModel,
    pair: tuple[str, str],
    compare: bool,
    names: dict[str, str],
    set_pair: Callable[[str, str], None],
):
    """The results in words and the three live figures of the current run."""
    update_counter.get()  # redraw after every step of Mesa's controller
    t = model.state.t
    baseline = baseline_run(model.base) if compare else None
    snapshot = solara.use_memo(lambda: Snapshot.of(model, solutions_for(model.scenario)), [id(model), t])
    deps = [id(model), t, compare]
    scenario = model.scenario
    # the draws run in the background (a slow protocol must not freeze the page); the sentence waits for them
    forecasting = solara.lab.use_task(
        lambda: forecast_line(scenario), dependencies=[scenario.sha256], raise_error=False
    )
    if forecasting.finished and forecasting.value:
        outlook = forecasting.value
    elif forecasting.error:
        outlook = f"could not draw the forecast: {forecasting.exception}"
    else:
        outlook = f"drawing {UI_FORECAST_RUNS} runs of this scenario's ranges and random streams..."
    why = solara.use_memo(lambda: explanation_for(snapshot), [id(model), t])

    with solara.Columns([3, 2]):
        with solara.Card("Results"):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=results_html(snapshot, baseline, model, outlook, why),
                classes=["negsim-results"],
            )
        with solara.Card("Utility plane: Pareto frontier, Nash point, the text"):
            with solara.Row():
                labels = list(names.values())
                solara.Select(
                    "x axis",
                    values=labels,
                    value=names[pair[0]],
                    on_value=lambda n: set_pair(_id_of(names, n), pair[1]),
                )
                solara.Select(
                    "y axis",
                    values=labels,
                    value=names[pair[1]],
                    on_value=lambda n: set_pair(pair[0], _id_of(names, n)),
                )
            if pair[0] == pair[1]:
                solara.Warning("Choose two different parties.")
            else:
                LiveFigure(
                    lambda: utility_plane_figure(
                        snapshot,
                        pair,
                        frontier_for(model.scenario, pair),
                        baseline=baseline,
                        current=True,
                    ),
                    [*deps, pair],
                    "negsim-plane",
                )
    with solara.Card(
        "Positions by round: the text, each party's demand, ideals (dotted), red lines (hatched), "
        "the forecast's 80% band (blue)"
    ):
        LiveFigure(
            lambda: trajectories_figure(snapshot, baseline=baseline, bands=forecast_for(model.scenario).bands()),
            deps,
            "negsim-trajectories",
        )
    with solara.Card("Utility of the text vs walk-away (dashed) and aspiration (dotted), per party"):
        LiveFigure(lambda: utilities_figure(snapshot, baseline=baseline), deps, "negsim-utilities")


def _id_of(names: dict[str, str], name: str) -> str:
    return next(pid for pid, n in names.items() if n == name)


@solara.component
def LiveFigure(make: Callable[[], Figure], dependencies: list, css_class: str):
    """A ``sim.report.plots`` figure drawn in a background thread whenever ``dependencies`` change.

    Drawing takes a few tenths of a second, so it never blocks the page: the
    last image stays up until the new one is ready, and when changes come
    faster than drawing (a dragged slider, a fast play), only the newest
    state is drawn.
    """
    shown = solara.use_ref(None)
    lock = solara.use_memo(threading.Lock, [])  # this figure is drawn by one thread at a time

    def draw() -> bytes | None:
        time.sleep(DEBOUNCE_S)
        with lock:
            if not task.is_current():
                return None  # a newer state is waiting
            buffer = io.BytesIO()
            plain_text(make()).savefig(buffer, format="png", dpi=FIGURE_DPI)
            return buffer.getvalue()

    task = solara.lab.use_task(draw, dependencies=dependencies, raise_error=False)
    if task.finished and task.value:
        shown.current = task.value
    if task.error:
        solara.Error(f"Could not draw the figure: {task.exception}")
    with solara.Div(classes=["negsim-figure", css_class]):
        if shown.current is None:
            solara.ProgressLinear(True)
        else:
            solara.Image(shown.current)


def results_html(
    snapshot: Snapshot,
    baseline,
    model: ClassroomModel,
    outlook: str | None = None,
    why: list[str] | None = None,
) -> str:
    """The results panel as HTML: sentences, the forecast, why (when the run is over), the tables.

    Args:
        snapshot: The run so far.
        baseline: The run of the file as loaded (or None).
        model: The model (for what was changed).
        outlook: The forecast in one sentence (:func:`sim.ui.classroom.forecast_line`).
        why: The explanation of a finished run in sentences (:func:`sim.ui.classroom.explanation_for`).
    """
    s = snapshot.scenario
    lines = summary(snapshot, baseline, model.changes)
    out = [f"<p><b>{html.escape(lines[0])}</b></p>"]
    out += [f"<p>{html.escape(line)}</p>" for line in lines[1:]]
    if outlook:
        out.append(f'<p class="negsim-forecast"><b>The forecast:</b> {html.escape(outlook)}</p>')
    if why:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in why)
        out.append(f'<div class="negsim-why"><p><b>Why:</b></p><ul>{items}</ul></div>')
    nash = snapshot.benchmarks.get("nash")
    kinds = {None: "text now", True: "deal", False: "forecast"}
    head = ["issue", kinds[None if snapshot.deal is None else all(snapshot.accepts.values())], "Nash"]
    if baseline is not None:
        head.append("deal as loaded")
    rows = []
    for issue in s.issues:
        now = (snapshot.deal or snapshot.text)[issue.id]
        row = [issue.label, issue.format(now), issue.format(nash[issue.id]) if nash else "none"]
        if baseline is not None:
            row.append(issue.format(baseline.deal[issue.id]) if baseline.deal else "no deal")
        rows.append(row)
    out.append(_table(head, rows))
    head = ["party", "utility of the text", "walk-away now", "accepts"]
    prow = []
    for party in s.parties:
        prow.append(
            [
                party.name,
                f"{snapshot.utility[party.id]:.3f}",
                f"{snapshot.walkaway[party.id]:.3f}",
                "yes" if snapshot.accepts[party.id] else ("-" if snapshot.t == 0 else "no"),
            ]
        )
    out.append(_table(head, prow))
    return "\n".join(out)


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"
