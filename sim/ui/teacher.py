"""The teacher's page (``negsim ui --class``, at ``/class``): the class's runs on one plane and in one table.

Every run or played session a student's tab sent (:mod:`sim.ui.classbook`)
appears as a point on one utility plane of the scenario's two main parties
(the file-as-loaded run is the reference star) and as a row of one table
(who, which settings, the deal, the round). The page looks for new entries
every few seconds; "New class" archives the class and starts an empty one.
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path

import bqplot
import numpy as np
import solara
import solara.lab

from sim.core.scenario import Scenario
from sim.ui.charts import OKABE_ITO
from sim.ui.classbook import Classbook, Entry
from sim.ui.classroom import baseline_run, frontier_for, load_cached

__all__ = ["CLASS_ENV", "ClassView", "class_db", "class_rows", "REFRESH_S"]

CLASS_ENV = "NEGSIM_UI_CLASS"
"""Set by ``negsim ui --class`` to the class's SQLite file."""
REFRESH_S = 2.0
"""How often the teacher's page looks for new entries."""
_BOOKS: dict[str, Classbook] = {}
_BOOKS_LOCK = threading.Lock()


def class_db() -> Classbook | None:
    """The class of this server (``$NEGSIM_UI_CLASS``), opened once; None without ``--class``."""
    path = os.environ.get(CLASS_ENV)
    if not path:
        return None
    key = str(Path(path).resolve())
    with _BOOKS_LOCK:
        if key not in _BOOKS:
            _BOOKS[key] = Classbook(key)
        return _BOOKS[key]


def _show(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def class_rows(entries: list[Entry], scenario: Scenario) -> list[list[str]]:
    """The table's rows: who, what, which settings, the deal, the round, how it ended."""
    rows = []
    for e in entries:
        what = e.kind if e.seat is None else f"played {e.seat}"
        settings = ", ".join(f"{k} = {_show(v)}" for k, v in e.settings.items()) or "as in the file"
        if e.deal is None:
            deal = "no deal"
        elif e.scenario == scenario.name:
            deal = "; ".join(f"{i.label} {i.format(e.deal[i.id])}" for i in scenario.issues if i.id in e.deal)
        else:
            deal = "; ".join(f"{k} {v:g}" for k, v in e.deal.items())
        rows.append([e.who, what, e.scenario, e.protocol, settings, deal, str(e.round), e.ended_by.replace("_", " ")])
    return rows


@solara.component
def ClassView(db: Classbook, scenario_path: str):
    """The teacher's page for the class in ``db`` (the reference run: the file at ``scenario_path``)."""
    tick = solara.use_reactive(0)

    def poll() -> None:
        time.sleep(REFRESH_S)
        tick.set(tick.value + 1)

    solara.lab.use_task(poll, dependencies=[tick.value], raise_error=False)
    class_id, class_name = db.current()
    entries = db.entries(class_id)
    scenario = load_cached(scenario_path)
    names = {p.id: p.name for p in scenario.parties}
    a, b = scenario.main_parties
    reference = baseline_run(scenario)
    frontier, _ = frontier_for(scenario, (a, b))

    def new_class() -> None:
        db.new_class()
        tick.set(tick.value + 1)

    with solara.AppBar():
        solara.AppBarTitle(f"negsim class: {class_name} ({len(entries)} runs)")
    with solara.Row(style={"align-items": "center"}):
        solara.Text(f"{class_name}: {len(entries)} runs and sessions sent; the reference is {scenario.name} as loaded.")
        solara.Button("Refresh", on_click=lambda: tick.set(tick.value + 1), outlined=True)
        solara.Button("New class (archive this one)", on_click=new_class, color="warning", outlined=True)
    same = [e for e in entries if e.scenario == scenario.name]
    with solara.Card(
        f"The class on one plane: {names[a]} x {names[b]} (utility of each deal, or walk-away without one)"
    ):
        sx = solara.use_memo(lambda: bqplot.LinearScale(min=0.0, max=1.0), [])
        sy = solara.use_memo(lambda: bqplot.LinearScale(min=0.0, max=1.0), [])
        scales = {"x": sx, "y": sy}
        runs = [e for e in same if e.kind == "run"]
        sessions = [e for e in same if e.kind == "session"]
        ref = reference.utilities if reference.agreement else reference.walkaways
        marks = [
            bqplot.Lines.element(
                x=frontier[:, 0],
                y=frontier[:, 1],
                scales=scales,
                colors=["#555555"],
                labels=["Pareto frontier"],
                display_legend=True,
            ),
            bqplot.Scatter.element(
                x=np.array([ref[a]]),
                y=np.array([ref[b]]),
                scales=scales,
                colors=["#D4A000"],
                marker="square",
                default_size=260,
                labels=["the file as loaded"],
                display_legend=True,
            ),
        ]
        for group, colour, label, marker in (
            (runs, OKABE_ITO[0], "students' runs", "circle"),
            (sessions, OKABE_ITO[1], "played sessions", "diamond"),
        ):
            marks.append(
                bqplot.Scatter.element(
                    x=np.array([e.utilities[a] for e in group], dtype=float),
                    y=np.array([e.utilities[b] for e in group], dtype=float),
                    names=[e.who for e in group],
                    display_names=True,
                    scales=scales,
                    colors=[colour],
                    marker=marker,
                    default_size=90,
                    labels=[label],
                    display_legend=bool(group),
                )
            )
        axes = [
            bqplot.Axis.element(scale=sx, label=f"{names[a]}'s utility", grid_lines="dashed"),
            bqplot.Axis.element(scale=sy, label=f"{names[b]}'s utility", orientation="vertical", grid_lines="dashed"),
        ]
        with solara.Div(classes=["negsim-chart", "negsim-class-plane"]):
            bqplot.Figure.element(
                marks=marks,
                axes=axes,
                layout={"width": "100%", "height": "520px"},
                legend_location="bottom-left",
                legend_style={"fill": "white"},
                fig_margin={"top": 30, "bottom": 50, "left": 60, "right": 20},
            )
    head = ["who", "what", "scenario", "protocol", "settings", "deal", "round", "ended"]
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in class_rows(entries, scenario)
    )
    with solara.Card("The class in one table"):
        solara.HTML(tag="div", unsafe_innerHTML=f"<table><tr>{cells}</tr>{body}</table>", classes=["negsim-class"])
