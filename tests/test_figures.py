"""The figure check: every figure the project draws can go into a briefing as it is.

For the outcome figures of every shipped scenario under every protocol, the
protocol and scenario comparisons, the forecast figures, the sweep analysis
figures of the shipped experiments (small sweeps of the same designs), the
driver tornado and the backtest figure:

* every text fits inside the canvas (matplotlib's layout of each text, the axes'
  ticks and labels, and the figure's tight bounding box, within the figure);
* no label is a raw dotted id (``parties.russia.walkaway_drift``,
  ``deal.army_cap``) where the scenario has words for it;
* one party has one colour across a run's figures (and across scenarios: a party
  id keeps its colour), distinct parties distinct colours;
* rounds are whole numbers on every round axis.

The runs are reused across checks (module fixtures) and the sweeps kept small.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim.benchmarks.solutions import pareto_frontier, solve
from sim.engine.runner import run
from sim.engine.scenarios import load_scenario
from sim.protocols import protocol_names
from sim.report.plots import trajectories_figure, utilities_figure, utility_plane_figure
from sim.report.style import PINNED, party_colours, texts_outside

SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
ALL_TRAJECTORIES = ("geneva-2025-11", "istanbul-2022")
"""Scenarios whose trajectories are checked under every protocol (the others under their own: the costliest figure)."""
RAW_ID = re.compile(r"\b(?:parties|scenario|issues)\.[a-z_]+\.[\w.]+|\b(?:deal|utility)\.[a-z_]+\b")


def _texts(fig: Figure) -> list[str]:
    fig.draw_without_rendering()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def check(fig: Figure, what: str) -> None:
    """Every text inside the canvas, and no raw dotted id among them."""
    outside = texts_outside(fig)
    assert not outside, f"{what}: text outside the canvas: {outside}"
    raw = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and RAW_ID.search(t.get_text())]
    assert not raw, f"{what}: raw dotted ids where the scenario has words: {raw}"


def _whole_rounds(ax) -> None:
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), f"round ticks {ticks}"


def drawn_party_colours(figures: list[Figure], scenario) -> dict[str, set[str]]:
    """The colours each party is drawn in: lines named after it (legend labels) and its utility panel."""
    names = {p.name: p.id for p in scenario.parties}
    found: dict[str, set[str]] = {p: set() for p in scenario.party_ids}
    for fig in figures:
        for ax in fig.axes:
            panel = names.get(ax.get_title())
            for line in ax.get_lines():
                label = line.get_label()
                owner = next(
                    (pid for name, pid in names.items() if label == name or label.startswith(f"{name} ")), None
                )
                if panel is not None and line.get_linewidth() >= 1.9:  # the utility of the text on its panel
                    owner = panel
                if owner is not None:
                    found[owner].add(to_hex(line.get_color()))
    return found


@pytest.fixture(scope="module")
def outcomes():
    """Every shipped scenario under every protocol (about two seconds in all)."""
    out = {}
    for path in SCENARIOS:
        scenario = load_scenario(path)
        solutions = solve(scenario)
        out[path.stem] = {p: run(scenario, protocol=p, solutions=solutions) for p in protocol_names()}
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_outcome_figures_fit_their_canvas_and_keep_each_party_one_colour(outcomes, path):
    scenario = load_scenario(path)
    frontier = pareto_frontier(scenario, tuple(scenario.main_parties))
    expected = party_colours(scenario)
    assert len(set(expected.values())) == len(expected), "two parties share a colour"
    for protocol, outcome in outcomes[path.stem].items():
        figures = [utilities_figure(outcome), utility_plane_figure(outcome, frontier=frontier)]
        if protocol == scenario.protocol or path.stem in ALL_TRAJECTORIES:
            figures.append(trajectories_figure(outcome))
        for fig, name in zip(figures, ("utilities", "utility_plane", "trajectories"), strict=False):
            check(fig, f"{path.stem}/{protocol}/{name}")
        for ax in figures[0].axes[: len(scenario.parties)]:
            _whole_rounds(ax)
        for ax in figures[-1].axes[: len(scenario.issues)] if len(figures) == 3 else []:
            _whole_rounds(ax)
        drawn = drawn_party_colours(figures, scenario)
        for pid, colours in drawn.items():
            assert colours == {expected[pid].lower()}, (path.stem, protocol, pid, colours)


def test_a_party_keeps_its_colour_across_scenarios():
    seen: dict[str, set[str]] = {}
    for path in SCENARIOS:
        for pid, colour in party_colours(load_scenario(path)).items():
            seen.setdefault(pid, set()).add(colour)
    for pid in PINNED:
        assert len(seen.get(pid, {PINNED[pid]})) == 1, (pid, seen[pid])
    together = party_colours(*(load_scenario(p) for p in SCENARIOS))
    for path in SCENARIOS:
        for pid, colour in party_colours(load_scenario(path)).items():
            if pid in PINNED:
                assert together[pid] == colour


def test_failed_ratifications_are_marked_with_who_which_bound_and_how_much(outcomes):
    outcome = outcomes["us-28-point-2025-11"]["mediated"]
    failures = outcome.ratification_failures()
    assert failures, "us-28-point's mediated run has a failed ratification (the US, round 9)"
    party = outcome.scenario.party(failures[0]["party"])
    words = " ".join(_texts(trajectories_figure(outcome)) + _texts(utilities_figure(outcome)))
    assert f"{party.name} ratification fails" in words
    assert re.search(r"over (?:its bound|by) [\d.]+", words)


def test_the_plane_draws_the_walkaways_in_force_at_the_deal():
    outcome = run(load_scenario(ROOT / "scenarios" / "geneva-2025-11.toml"), protocol="mediated", seed=3)
    assert outcome.agreement, "Geneva's seed 3 ends in a deal (round 14)"
    s = outcome.scenario
    fig = utility_plane_figure(outcome)
    a = s.party_ids.index(s.main_parties[0])
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    at_deal = lines[f"{s.party(s.main_parties[0]).name} walk-away at the deal, round {outcome.round}"]
    assert at_deal.get_xdata()[0] == pytest.approx(outcome.history.walkaway[outcome.round, a])


def test_lines_that_exclude_each_other_are_named_on_the_plane_and_in_the_report():
    from sim.engine.scenarios import scenario_from_dict
    from sim.report.tables import outcome_report

    # the old Istanbul file's guarantee lines (Ukraine at least 0.6, Russia at most 0.5); the recalibrated
    # file's lines meet, so the case is built here
    issues = {
        "guarantee": {"label": "Security guarantee for Ukraine", "min": 0.0, "max": 1.0},
        "cap": {"label": "Army cap", "min": 0.0, "max": 1.0},
    }
    party = {"capability": 1.0, "patience": 0.95, "walkaway": 0.2, "salience": {"guarantee": 0.5, "cap": 0.5}}
    data = {
        "scenario": {"name": "clash", "title": "Lines that exclude each other", "rounds": 10, "seed": 1},
        "issues": issues,
        "parties": {
            "ukraine": {
                **party,
                "name": "Ukraine",
                "ideal": {"guarantee": 1.0, "cap": 1.0},
                "red_lines": {"guarantee": {"min": 0.6}},
            },
            "russia": {
                **party,
                "name": "Russia",
                "ideal": {"guarantee": 0.0, "cap": 0.0},
                "red_lines": {"guarantee": {"max": 0.5}},
            },
        },
    }
    outcome = run(scenario_from_dict(data), protocol="mediated")
    words = " ".join(_texts(utility_plane_figure(outcome)))
    assert "no feasible text: red lines of Ukraine" in words and "Security guarantee for Ukraine" in words
    report = outcome_report(outcome)
    assert "No Nash solution: no feasible text: red lines of Ukraine (at least 0.6) and Russia" in report
    assert "no text gives every party more than its walk-away value" not in report


def test_the_check_finds_a_title_cut_off():
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1])
    fig.suptitle("A title far too long to fit a figure three inches wide, as the old ones were")
    assert texts_outside(fig)


def test_protocol_comparisons_fit(outcomes):
    from sim.report.compare import ProtocolComparison, comparison_figure

    for name in ("geneva-2025-11", "istanbul-2022", "classroom-logroll"):
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        comparison = ProtocolComparison(scenario, outcomes[name], dict.fromkeys(outcomes[name], 0.0))
        check(comparison_figure(comparison), f"{name} protocols")


def test_the_scenario_comparison_keeps_units_and_names_each_scale_once(outcomes):
    from sim.experiments.gallery import SCENARIOS_COMPARED
    from sim.report.compare import ScenarioComparison, scenario_comparison_figure

    chosen = {
        name: outcomes[name][load_scenario(ROOT / "scenarios" / f"{name}.toml").protocol] for name in SCENARIOS_COMPARED
    }
    fig = scenario_comparison_figure(ScenarioComparison(chosen, None))
    check(fig, "scenarios compared")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert len(titles) == len(set(titles)), f"an issue label twice: {titles}"
    army = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("Peacetime cap"))
    assert "thousand troops" in army.get_xlabel() and army.get_xlim()[1] >= 1000  # in its units, 700k readable


def test_the_readme_shows_the_figure_its_command_draws():
    from sim.experiments.gallery import SCENARIOS_COMPARED

    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.startswith("negsim compare scenarios/"))
    files = [p for p in command.split()[2:] if p.endswith(".toml")]
    assert [Path(p).stem for p in files] == list(SCENARIOS_COMPARED)
    assert "results/gallery/scenarios-compared.png" in readme


def test_forecast_figures_fit():
    from sim.experiments.forecast import forecast
    from sim.experiments.forecast_figures import FIGURES

    for name in ("geneva-2025-11", "istanbul-2022"):
        drawn = forecast(load_scenario(ROOT / "scenarios" / f"{name}.toml"), runs=40)
        for figure, make in FIGURES.items():
            fig = make(drawn)
            check(fig, f"{name} {figure}")
            for ax in fig.axes:
                if ax.get_xlabel().startswith("round"):
                    _whole_rounds(ax)


def test_tornado_and_backtest_figures_fit():
    from sim.experiments.backtest import backtest_protocols
    from sim.experiments.drivers import drivers, tornado_figure
    from sim.report.forecasts import forecast_figure

    scenario = load_scenario(ROOT / "scenarios" / "geneva-2025-11.toml")
    check(tornado_figure(scenario, drivers(scenario, runs=20, sobol=None)), "tornado")
    rng = np.random.default_rng(0)
    methods = ["compromise", "nash", *backtest_protocols()]
    predictions = {m: rng.uniform(0, 100, 60) for m in methods}
    title = "deu3-train.tsv: forecast vs recorded outcome (0-100), best MAE first"
    check(forecast_figure(predictions, rng.uniform(0, 100, 60), title), "backtest")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The gallery's two experiments, with the same designs on smaller samples, analysed: the figures by name."""
    from unittest import mock

    from sim.experiments.analysis import analyze
    from sim.experiments.spec import load_experiment
    from sim.experiments.sweep import sweep

    out: dict[str, dict[str, Figure]] = {}
    for name, runs in (("army-cap-vs-pressure", None), ("deal-drivers-sobol", 8)):
        experiment = load_experiment(ROOT / "experiments" / f"{name}.toml")
        if runs is not None:
            experiment = dataclasses.replace(experiment, runs=runs, _design=[])
        directory = sweep(experiment, tmp_path_factory.mktemp(name), progress=False)
        drawn: dict[str, Figure] = {}

        def keep(fig, path, drawn=drawn, **_):
            Path(path).write_bytes(b"")  # analyze writes a .tmp file and moves it into place
            drawn[Path(path).name.removesuffix(".tmp")] = fig

        with mock.patch.object(Figure, "savefig", keep):
            analyze(directory)
        out[name] = drawn
        out[name + "/summary"] = (directory / "summary.json").read_text()
    return out


def test_sweep_figures_fit_and_use_the_scenario_words(analysed):
    for name in ("army-cap-vs-pressure", "deal-drivers-sobol"):
        for figure, fig in analysed[name].items():
            check(fig, f"{name}/{figure}")
    assert set(analysed["deal-drivers-sobol"]) >= {"outcomes_vs_parameters.png", "sensitivity.png", "prim.png"}
    assert set(analysed["army-cap-vs-pressure"]) >= {"agreement_heatmap.png", "outcome_heatmaps.png"}
    words = " ".join(_texts(analysed["army-cap-vs-pressure"]["outcome_heatmaps.png"]))
    assert "distance of the deal to Nash" in words  # not dropped without a word
    assert "Russia: walk-away drift per round" in words


def test_numbers_on_dark_cells_are_white(analysed):
    from matplotlib.colors import to_rgba

    from sim.report.style import cell_text_colour

    assert cell_text_colour(to_rgba("#440154")) == "white"  # viridis' dark end
    assert cell_text_colour(to_rgba("#fde725")) != "white"  # its light end
    fig = analysed["army-cap-vs-pressure"]["agreement_heatmap.png"]
    ax = fig.axes[0]
    image = ax.get_images()[0]
    assert ax.texts
    for text in ax.texts:
        x, y = text.get_position()
        shade = image.cmap(image.norm(image.get_array()[int(round(y)), int(round(x))]))
        assert to_hex(text.get_color()) == to_hex(cell_text_colour(shade))
    bar = fig.axes[1]
    assert "(%)" in bar.get_ylabel() and bar.get_ylim()[1] == pytest.approx(100)  # a 0-100 bar says %


def test_sobol_panels_share_one_scale(analysed):
    figures = analysed["deal-drivers-sobol"]
    limits = {ax.get_ylim() for ax in figures["sensitivity.png"].axes if ax.get_visible()}
    assert len(limits) == 1, limits
    rows = np.array(figures["outcomes_vs_parameters.png"].axes).reshape(-1, 7)
    for row in rows:
        assert len({ax.get_ylim() for ax in row}) == 1


def test_summary_numbers_are_rounded_to_what_they_mean(analysed):
    import json

    text = analysed["deal-drivers-sobol/summary"]
    floats = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)
    assert floats and all(len(re.sub(r"[^\d]", "", f.split("e")[0]).lstrip("0")) <= 4 for f in floats), floats[:5]
    assert json.loads(text)["sensitivity"]
