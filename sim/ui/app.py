"""The classroom UI in the browser: instant answers, a student at the table, the class on one plane.

Start it with ``negsim ui [SCENARIO]`` (``--class`` for a class: the teacher's
page at ``/class``). The student's page (``/``):

* **Explore**: every slider change computes the whole run at once (the kernel
  takes milliseconds) in a background task and shows its outcome, the
  figures and the forecast band; when changes come faster than the answers,
  only the newest state is computed, and the page always ends on the last
  value the student set. While computing, an "updating" chip shows. ▶ Watch
  and Step replay the computed run round by round; they do not recompute.
* **Play as a party**: the student takes one party's seat (``mediated`` or
  ``alternating``; :mod:`sim.ui.play`); the session can be saved and replayed.
* With ``--class``: the student types a name and sends the run or the session
  to the class (:mod:`sim.ui.classbook`); the teacher's page shows them all.

The figures are bqplot charts (:mod:`sim.ui.charts`) whose marks are updated
in place; the results are in words and tables.
"""

from __future__ import annotations

import html
import os
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
import solara.lab

from sim.benchmarks.solutions import Solutions
from sim.core.errors import UserError
from sim.core.scenario import Scenario
from sim.engine.outcome import Outcome
from sim.engine.session import replay, session_from_dict, session_toml
from sim.protocols import ENDINGS, playable_protocols
from sim.ui.charts import (
    PlaneChart,
    PositionsChart,
    UtilitiesChart,
    party_colours,
    plane_data,
    positions_data,
    utilities_data,
)
from sim.ui.classbook import Classbook, Entry
from sim.ui.classroom import (
    UI_FORECAST_RUNS,
    ClassroomModel,
    Control,
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
from sim.ui.play import Game
from sim.ui.teacher import ClassView, class_db

__all__ = ["ClassroomApp", "Computed", "Page", "compute", "results_html", "routes"]

PLAY_INTERVAL_MS = 400
PAGE_CSS = """
.v-navigation-drawer { width: 420px !important; }
.negsim-results table { border-collapse: collapse; margin: 6px 0 10px 0; font-size: 13px; }
.negsim-results th, .negsim-results td {
  border-bottom: 1px solid #ddd; padding: 2px 10px 2px 0; text-align: left;
}
.negsim-results p { margin: 0 0 6px 0; }
/* a long label gets its own line: the slider keeps the sidebar's full width */
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-input__slot > .v-label { flex: 1 0 100%; max-width: 100%; white-space: normal; margin-bottom: 2px; }
.v-input__slider .v-slider { min-width: 160px; }
.negsim-chart { min-height: 460px; }
/* Vuetify 2 breaks card titles anywhere ("the d eal"): break between words */
.v-card__title { word-break: normal; overflow-wrap: break-word; }
.negsim-updating { color: #B35900; font-weight: bold; }
"""


def ui_config() -> tuple[str, str]:
    """The scenario to open and the folder to pick scenarios from (``$NEGSIM_UI_SCENARIO``, ``$NEGSIM_UI_DIR``)."""
    scenario = default_scenario()
    folder = os.environ.get("NEGSIM_UI_DIR") or str(Path(scenario).parent)
    return scenario, folder


@solara.component
def Page():
    """The student's page."""
    try:
        scenario, folder = ui_config()
    except UserError as exc:
        solara.Error(str(exc))
        return
    ClassroomApp(scenario, folder, class_db())


@solara.component
def ClassPage():
    """The teacher's page (``/class``): every run the class sent, on one plane and in one table."""
    db = class_db()
    if db is None:
        solara.Error("No class: start the page with `negsim ui --class` to collect the students' runs.")
        return
    scenario, _ = ui_config()
    ClassView(db, scenario)


routes = [
    solara.Route(path="/", component=Page, label="classroom"),
    solara.Route(path="class", component=ClassPage, label="class"),
]


# --------------------------------------------------------------------------
# A computed run: the whole run at once, with what the figures need.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Computed:
    """One run computed to its end for the sliders' values.

    Attributes:
        params: The values it was computed for (the scenario path included).
        model: The model, run to its end (its history has every round).
        solutions: The benchmark solutions of its scenario.
        seconds: How long computing took.
    """

    params: dict[str, Any]
    model: ClassroomModel
    solutions: Solutions
    seconds: float


def compute(params: dict[str, Any]) -> Computed:
    """The whole run for the sliders' values (raises :class:`UserError` for a value the file rules refuse)."""
    start = time.perf_counter()
    model = ClassroomModel(**params).run_to_end()
    solutions = solutions_for(model.scenario)
    return Computed(dict(params), model, solutions, time.perf_counter() - start)


def _params_of(base: Scenario, path: str) -> dict[str, Any]:
    """The model's keyword arguments with every control at the file's value."""
    return {"scenario": path, **{name: c.value for name, c in controls(base).items()}}


@solara.component
def ClassroomApp(scenario_path: str, scenario_dir: str | None = None, db: Classbook | None = None):
    """The whole student page for one starting scenario.

    Args:
        scenario_path: The scenario file opened first.
        scenario_dir: Folder whose ``*.toml`` files the scenario picker offers.
        db: The class (``negsim ui --class``), or None for a page on its own.
    """
    files = solara.use_memo(lambda: scenario_files(scenario_dir or Path(scenario_path).parent, also=scenario_path), [])
    first = solara.use_memo(lambda: load_cached(scenario_path), [])
    params = solara.use_reactive(solara.use_memo(lambda: _params_of(first, scenario_path), []))
    shown = solara.use_ref(None)  # the last computed run (stays up while the next one computes)
    error = solara.use_reactive(None)
    compare = solara.use_reactive(True)
    mode = solara.use_reactive("Explore")
    player = solara.use_reactive("")
    sent = solara.use_reactive("")

    def run_task() -> Computed | None:
        try:
            return compute(params.value)
        except UserError as exc:
            error.set("Not applied: " + "; ".join(str(p) for p in exc.problems))
            return None

    task = solara.lab.use_task(run_task, dependencies=[repr(sorted(params.value.items()))], raise_error=False)
    if task.finished and task.value is not None and task.value.params == params.value:
        shown.current = task.value
    if shown.current is None:
        shown.current = compute(params.value)  # the first paint: the file as loaded
    current: Computed = shown.current
    updating = current.params != params.value and error.value is None
    base = load_cached(params.value["scenario"])

    def change(name: str, value: Any) -> None:
        control = controls(load_cached(params.value["scenario"])).get(name)
        try:
            value = control.clean(value) if control else value
        except UserError as exc:
            error.set("Not applied: " + "; ".join(str(p) for p in exc.problems))
            return
        if params.value.get(name) == value:
            return
        error.set(None)
        params.set({**params.value, name: value})

    # one callback for the page's life: a slider whose value did not change is not rendered again
    on_change = solara.use_memo(lambda: change, [])

    def pick_scenario(name: str) -> None:
        path = files.get(name)
        if path is None:
            return
        try:
            chosen = load_cached(path)
        except UserError as exc:
            error.set("Cannot open: " + "; ".join(str(p) for p in exc.problems))
            return
        error.set(None)
        params.set(_params_of(chosen, path))

    def restore() -> None:
        error.set(None)
        params.set(_params_of(base, params.value["scenario"]))

    values = {k: v for k, v in params.value.items() if k != "scenario"}
    current_file = next((n for n, p in files.items() if p == params.value["scenario"]), None)

    def send_run() -> None:
        if db is None:
            return
        if not player.value.strip():
            sent.set("Type your name first.")
            return
        db.add(run_entry(current, player.value.strip(), scenario_toml(base, values)))
        sent.set(f"Sent to the class as {player.value.strip()}.")

    solara.Style(PAGE_CSS)
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
        if db is not None:
            with solara.Card("Class"):
                with solara.Div(classes=["negsim-name"]):
                    solara.InputText("your name", value=player, continuous_update=True)
                solara.Button("Send this run to the class", on_click=send_run, outlined=True)
                if sent.value:
                    solara.Text(sent.value)
        with solara.Card("Run settings"):
            _inputs(base, values, "run", on_change)
        with solara.Card("Mediator"):
            _inputs(base, values, "mediator", on_change)
        with solara.Card("What can make talks fail"):
            _inputs(base, values, "world", on_change)
        with solara.Card("Parties"):
            for index, party in enumerate(base.parties):
                with solara.Details(summary=party.name, expand=index < 2):
                    _inputs(base, values, party.id, on_change)

    solara.ToggleButtonsSingle(value=mode, values=["Explore", "Play as a party"])
    if mode.value == "Explore":
        Explore(current, updating, compare.value)
    else:
        PlayPanel(current, base, params.value, player.value, db)


def _inputs(base: Scenario, values: dict[str, Any], group: str, on_change) -> None:
    """The sliders and selects of one group; each label shows its value."""
    note = control_notes(base).get(group)
    if note:
        solara.Info(note, dense=True)
    for name, control in controls(base).items():
        if control.group == group:
            ControlInput(control, values.get(name, control.value), on_change)


@solara.component
def ControlInput(control: Control, value: Any, on_change):
    """One control: a select, or a slider whose label shows its value (``Ukraine: walk-away 0.60``)."""
    if control.kind == "Select":
        solara.Select(
            control.label, values=list(control.values), value=value, on_value=lambda v: on_change(control.name, v)
        )
        return
    label = f"{control.label} {control.format(value)}"
    if control.kind == "SliderInt":
        solara.SliderInt(
            label,
            value=int(value),
            min=int(control.min),
            max=int(control.max),
            step=int(control.step or 1),
            on_value=lambda v: on_change(control.name, v),
        )
    else:
        solara.SliderFloat(
            label,
            value=float(value),
            min=float(control.min),
            max=float(control.max),
            step=float(control.step),
            on_value=lambda v: on_change(control.name, v),
        )


# --------------------------------------------------------------------------
# Explore: the computed run, watched round by round on demand.
# --------------------------------------------------------------------------
@solara.component
def Explore(current: Computed, updating: bool, compare: bool):
    """Results, figures and the watch controls of the computed run."""
    model = current.model
    end = model.state.t
    shown_round = solara.use_reactive(None)  # None: the end of the run
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(PLAY_INTERVAL_MS)

    def on_new_run() -> None:  # a new run shows its end; watching starts again from a button
        shown_round.set(None)
        playing.set(False)

    solara.use_effect(on_new_run, [id(model)])
    t = end if shown_round.value is None else min(shown_round.value, end)

    def tick() -> None:
        if not playing.value:
            return
        time.sleep(interval.value / 1000)
        if not playing.value:
            return
        now = end if shown_round.value is None else shown_round.value
        if now >= end:
            playing.set(False)  # the run is over: the button says "watch" again
            shown_round.set(None)
        else:
            shown_round.set(now + 1)

    solara.lab.use_task(tick, dependencies=[playing.value, shown_round.value, id(model)], raise_error=False)

    def watch() -> None:
        if playing.value:
            playing.set(False)
            return
        if t >= end:
            shown_round.set(0)
        playing.set(True)

    def step() -> None:
        playing.set(False)
        shown_round.set(None if t + 1 >= end else t + 1)

    snapshot = Snapshot.of(model, current.solutions, t)
    base = model.base
    baseline = baseline_run(base) if compare else None
    with solara.Row(style={"align-items": "center"}):
        solara.Button("❚❚ Pause" if playing.value else "▶ Watch", on_click=watch, color="primary")
        solara.Button("Step", on_click=step, disabled=t >= end and not playing.value, outlined=True)
        solara.Button("Show the end", on_click=lambda: (playing.set(False), shown_round.set(None)), outlined=True)
        solara.Text(f"round {t} of {end}" + (" (the end)" if t == end else ""))
        solara.SliderInt(f"play: ms per round {interval.value}", value=interval, min=50, max=2000, step=50)
        if updating:
            solara.Text("updating…", classes=["negsim-updating"])
    Results(current, snapshot, baseline)
    Figures(current, snapshot, baseline)


@solara.component
def Results(current: Computed, snapshot: Snapshot, baseline: Outcome | None):
    """The results in words: what happened, the forecast, why, and the tables."""
    model = current.model
    scenario = model.scenario
    forecasting = solara.lab.use_task(
        lambda: forecast_line(scenario), dependencies=[scenario.sha256], raise_error=False
    )
    if forecasting.finished and forecasting.value:
        outlook = forecasting.value
    elif forecasting.error:
        outlook = f"could not draw the forecast: {forecasting.exception}"
    else:
        outlook = f"drawing {UI_FORECAST_RUNS} runs of this scenario's ranges and random streams..."
    explaining = solara.lab.use_task(
        lambda: explanation_for(snapshot), dependencies=[id(model), snapshot.t], raise_error=False
    )
    why = explaining.value if explaining.finished and explaining.value else []
    with solara.Card("Results"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=results_html(snapshot, baseline, model, outlook, why),
            classes=["negsim-results"],
        )


@solara.component
def Figures(current: Computed, snapshot: Snapshot, baseline: Outcome | None):
    """The utility plane, the positions on one issue and the utilities, as live charts."""
    s = snapshot.scenario
    names = {p.id: p.name for p in s.parties}
    colours = party_colours(s)
    pair = solara.use_reactive(tuple(s.main_parties))
    shown_pair = (
        pair.value if set(pair.value) <= set(names) and pair.value[0] != pair.value[1] else tuple(s.main_parties)
    )
    issue = solara.use_reactive(s.issues[0].id)
    shown_issue = issue.value if issue.value in s.issue_ids else s.issues[0].id
    labels = {i.id: i.label for i in s.issues}
    forecasting = solara.lab.use_task(lambda: forecast_for(s), dependencies=[s.sha256], raise_error=False)
    band = forecasting.value.bands().get(shown_issue) if forecasting.finished and forecasting.value else None
    frontier, _ = frontier_for(s, shown_pair)
    plane = plane_data(
        s,
        snapshot.history,
        shown_pair,
        frontier,
        snapshot.benchmarks,
        snapshot.deal,
        snapshot.done,
        baseline.history if baseline is not None else None,
        baseline.deal if baseline is not None else None,
    )
    with solara.Columns([3, 2]):
        with solara.Card("Utility plane: Pareto frontier, benchmarks, the text's path, the deal"):
            with solara.Row():
                solara.Select(
                    "x axis",
                    values=list(names.values()),
                    value=names[shown_pair[0]],
                    on_value=lambda n: pair.set((_id_of(names, n), shown_pair[1])),
                )
                solara.Select(
                    "y axis",
                    values=list(names.values()),
                    value=names[shown_pair[1]],
                    on_value=lambda n: pair.set((shown_pair[0], _id_of(names, n))),
                )
            PlaneChart(plane, names, colours, shown_pair)
        with solara.Card("Utility of the text (solid) vs walk-away (dashed), per party"):
            UtilitiesChart(utilities_data(s, snapshot.history), names, colours)
    with solara.Card(
        "Positions by round: the text (black), each party's demand, ideals (dotted), red lines (dash-dot), "
        "the forecast's 80% band (blue)"
    ):
        solara.Select(
            "issue",
            values=[labels[i] for i in s.issue_ids],
            value=labels[shown_issue],
            on_value=lambda n: issue.set(_id_of(labels, n)),
        )
        PositionsChart(
            positions_data(s, snapshot.history, shown_issue, band, baseline.history if baseline else None),
            labels[shown_issue],
            names,
            colours,
        )


def _id_of(names: dict[str, str], name: str) -> str:
    return next(pid for pid, n in names.items() if n == name)


# --------------------------------------------------------------------------
# Play as a party.
# --------------------------------------------------------------------------
@solara.component
def PlayPanel(current: Computed, base: Scenario, params: dict[str, Any], player: str, db: Classbook | None):
    """A student takes one party's seat; the other parties follow the model."""
    scenario = current.model.scenario
    names = {p.id: p.name for p in scenario.parties}
    seat = solara.use_reactive(scenario.main_parties[1])
    protocol_default = scenario.protocol if scenario.protocol in playable_protocols() else "mediated"
    chosen = current.params.get("protocol", protocol_default)
    protocol = solara.use_reactive(chosen if chosen in playable_protocols() else "mediated")
    game = solara.use_reactive(None)
    version = solara.use_reactive(0)
    message = solara.use_reactive("")
    replay_text = solara.use_reactive("")
    replayed = solara.use_reactive("")

    def start() -> None:
        model = current.model
        game.set(
            Game(
                scenario,
                seat.value if seat.value in names else scenario.main_parties[1],
                protocol.value,
                model.seed_value,
                int(model.params.rounds[0]),
                str(params["scenario"]),
                base,
                {path: new for path, (_, new) in model.changes.items()},
                player,
            )
        )
        version.set(version.value + 1)
        message.set("")

    def do(answer=None, demand=None, offer=None) -> None:
        try:
            game.value.move(answer, demand, offer)
        except UserError as exc:
            message.set("; ".join(str(p) for p in exc.problems))
            return
        version.set(version.value + 1)

    def send() -> None:
        if db is None or game.value is None:
            return
        if not player.strip():
            message.set("Type your name first (sidebar, Class).")
            return
        db.add(session_entry(game.value, player.strip()))
        message.set(f"Sent to the class as {player.strip()}.")

    def run_replay(text: str) -> None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            replayed.set(f"session file: not valid TOML: {exc}")
            return
        try:
            session = session_from_dict(data, "session file", Path(params["scenario"]).parent)
            model = replay(session)
        except UserError as exc:
            replayed.set("\n".join(str(p) for p in exc.problems))
            return
        replayed.set(" ".join(replay_sentences(session, model)))

    with solara.Card("Play as a party"):
        if game.value is None:
            solara.Text(
                "Take one party's seat: each round you see the text on the table, your utility of it against "
                "your walk-away value and red lines, and what the others did. The other parties follow the model."
            )
            with solara.Row():
                solara.Select(
                    "your seat",
                    values=list(names.values()),
                    value=names.get(seat.value, ""),
                    on_value=lambda n: seat.set(_id_of(names, n)),
                )
                solara.Select("protocol", values=playable_protocols(), value=protocol)
            solara.Button("Take the seat", on_click=start, color="primary")
        else:
            TableView(game.value, version.value, do)
            with solara.Row():
                solara.Button("Leave the seat", on_click=lambda: game.set(None), outlined=True)
                if game.value.done:
                    solara.FileDownload(
                        lambda: session_toml(game.value.session),
                        filename=f"session-{game.value.session.seat}-{game.value.session.protocol}.toml",
                        label="Save session",
                        mime_type="application/toml",
                    )
                    if db is not None:
                        solara.Button("Send this session to the class", on_click=send, outlined=True)
        if message.value:
            solara.Info(message.value)
    with solara.Card("Replay a saved session"):
        with solara.Div(classes=["negsim-replay-box"]):
            solara.InputTextArea("paste a session file here", value=replay_text, continuous_update=True)
        solara.Button("Replay", on_click=lambda: run_replay(replay_text.value), outlined=True)
        solara.FileDrop(
            label="...or drop a session file here", on_file=lambda f: run_replay(f["data"].decode()), lazy=False
        )
        if replayed.value:
            solara.HTML(tag="div", unsafe_innerHTML=f"<p>{html.escape(replayed.value)}</p>", classes=["negsim-replay"])


@solara.component
def TableView(game: Game, version: int, do):
    """One round at the table: the text, the seat's utility, the others' moves, and the student's move."""
    s = game.scenario
    seat = s.party(game.session.seat)
    turn = None if game.done else game.turn()
    start = {} if turn is None else (turn.suggestion.get("offer") or turn.suggestion.get("demand") or turn.text)
    asked = solara.use_reactive(dict(start))
    solara.use_effect(lambda: asked.set(dict(start)), [version])
    if turn is None:
        result = game.result()
        items = "".join(f"<p>{html.escape(line)}</p>" for line in result.sentences(seat.name))
        solara.HTML(tag="div", unsafe_innerHTML=f"<p><b>The talks are over.</b></p>{items}", classes=["negsim-table"])
        return
    suggestion = turn.suggestion
    rows = "".join(
        "<tr>"
        + f"<td>{html.escape(i.label)}</td><td>{html.escape(i.format(turn.text[i.id]))}</td>"
        + f"<td>{html.escape(i.format(seat.ideal[i.id]))}</td>"
        + f"<td>{html.escape(_red_line_words(i, *turn.red_lines[i.id]))}</td>"
        + "</tr>"
        for i in s.issues
    )
    verdict = "above" if turn.utility >= turn.walkaway else "below"
    lines = [
        f"<p><b>Round {turn.round}: you are {html.escape(seat.name)}"
        + (
            " and it is your turn to propose."
            if turn.proposes
            else f"; on the table: {html.escape(turn.proposer)}'s text."
        )
        + "</b></p>",
        f"<p>Your utility of this text: <b>{turn.utility:.3f}</b>, {verdict} your walk-away value {turn.walkaway:.3f}"
        + ("" if turn.inside else "; it crosses one of your red lines")
        + ".</p>",
        f"<table><tr><th>issue</th><th>{'model offer' if turn.proposes else 'on the table'}</th><th>your ideal</th>"
        f"<th>your red lines</th></tr>{rows}</table>",
        "<p><b>Last round:</b> " + html.escape(" ".join(turn.others)) + "</p>",
        f"<p>The model's own agent would {html.escape(_suggestion_words(turn))}.</p>",
    ]
    solara.HTML(tag="div", unsafe_innerHTML="\n".join(lines), classes=["negsim-table"])
    if turn.proposes or game.session.protocol == "mediated":
        heading = (
            "Your offer" if turn.proposes else "If you object: what you ask for (move the issues you want to change)"
        )
        solara.Text(heading)
        for issue in s.issues:
            value = asked.value.get(issue.id, turn.text[issue.id])
            solara.SliderFloat(
                f"{issue.label}: {issue.format(value)}",
                value=float(value),
                min=float(issue.min),
                max=float(issue.max),
                step=float(issue.step or issue.span / 100),
                on_value=lambda v, k=issue.id: asked.set({**asked.value, k: v}),
            )
    with solara.Row():
        if turn.proposes:
            solara.Button("Make this offer", on_click=lambda: do(offer=asked.value), color="primary")
        else:
            solara.Button("Accept", on_click=lambda: do("accept"), color="primary")
            second = turn.choices[1]
            if game.session.protocol == "mediated":
                solara.Button("Object", on_click=lambda: do(second, demand=asked.value), color="warning")
            else:
                solara.Button("Reject", on_click=lambda: do(second), color="warning")
        solara.Button(
            "Do what the model would",
            on_click=lambda: do(suggestion.get("answer"), suggestion.get("demand"), suggestion.get("offer")),
            outlined=True,
        )


def _red_line_words(issue, low: float, high: float) -> str:
    parts = []
    if low > issue.min + 1e-9 * issue.span:
        parts.append(f"at least {issue.format(low)}")
    if high < issue.max - 1e-9 * issue.span:
        parts.append(f"at most {issue.format(high)}")
    return ", ".join(parts) or "none"


def _suggestion_words(turn) -> str:
    if turn.proposes:
        return "offer the text in the table above"
    return {"accept": "accept", "object": "object", "reject": "reject"}[turn.suggestion["answer"]]


def replay_sentences(session, model) -> list[str]:
    """A replayed session in words: where it ended."""
    state = model.state
    seat = session.scenario.party(session.seat).name
    if state.agreement[0]:
        deal = model.scenario.to_units(state.deal[0], on_grid=True)
        words = "; ".join(f"{i.label} {i.format(v)}" for i, v in zip(model.scenario.issues, deal, strict=True))
        return [
            f"Replayed {seat}'s session ({len(session.moves)} moves): deal in round {int(state.round[0])}: {words}."
        ]
    return [f"Replayed {seat}'s session ({len(session.moves)} moves): no deal after {int(state.t)} rounds."]


# --------------------------------------------------------------------------
# What a student sends to the class.
# --------------------------------------------------------------------------
def _units(scenario: Scenario, z) -> dict[str, float]:
    values = scenario.to_units(z, on_grid=True)
    return {i.id: float(v) for i, v in zip(scenario.issues, values, strict=True)}


def run_entry(current: Computed, who: str, file: str) -> Entry:
    """A computed run as an entry of the class."""
    model = current.model
    state = model.state
    agreement = bool(state.agreement[0])
    utilities = state.utility[0] if agreement else state.walkaway[0]
    return Entry(
        who=who,
        kind="run",
        scenario=model.scenario.name,
        protocol=model.protocol.name,
        seed=model.seed_value,
        settings={path: new for path, (_, new) in model.changes.items()},
        seat=None,
        deal=_units(model.scenario, state.deal[0]) if agreement else None,
        round=int(state.t),
        ended_by=_ending(state),
        utilities={p: float(u) for p, u in zip(model.scenario.party_ids, utilities, strict=True)},
        file=file,
    )


def session_entry(game: Game, who: str) -> Entry:
    """A played session as an entry of the class."""
    state = game.model.state
    scenario = game.scenario
    agreement = bool(state.agreement[0])
    utilities = state.utility[0] if agreement else state.walkaway[0]
    return Entry(
        who=who,
        kind="session",
        scenario=scenario.name,
        protocol=game.session.protocol,
        seed=game.session.seed,
        settings=dict(game.session.changes),
        seat=game.session.seat,
        deal=_units(scenario, state.deal[0]) if agreement else None,
        round=int(state.t),
        ended_by=_ending(state),
        utilities={p: float(u) for p, u in zip(scenario.party_ids, utilities, strict=True)},
        file=session_toml(game.session),
    )


def _ending(state) -> str:
    return ENDINGS[int(state.ended_by[0])] or "round_limit"


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
