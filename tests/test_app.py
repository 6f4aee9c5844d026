"""The classroom page at solara level: it renders, steps, reacts to sliders, and swaps scenarios.

The page is rendered with ``solara.render`` (no browser): buttons are clicked
and sliders moved on the ipyvuetify widgets themselves. The real browser test
is ``tests/test_ui_browser.py``.
"""

from __future__ import annotations

import shutil
import time
import warnings

import ipyvuetify as v
import ipywidgets
import pytest
import solara
import solara.widgets
from conftest import GENEVA, four_party_data, write_scenario

from sim.ui.app import ClassroomApp, Page, results_html
from sim.ui.classroom import ClassroomModel, Snapshot

WAIT_S = 60


@pytest.fixture
def folder(tmp_path):
    shutil.copy(GENEVA, tmp_path / GENEVA.name)
    write_scenario(tmp_path / "four.toml", four_party_data())
    return tmp_path


def render(element):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, rc = solara.render(solara.AppLayout(children=[element]), handle_error=False)
    return rc


def results(rc) -> str:
    (panel,) = [w for w in rc.find(solara.widgets.HTML).widgets if "negsim-results" in str(w.attributes)]
    return panel.unsafe_innerHTML


def images(rc) -> dict[str, bytes]:
    """The drawn figures by CSS class, waiting until all three are there."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = {}
        for name in ("negsim-trajectories", "negsim-plane", "negsim-utilities"):
            box = rc.find(v.Html, class_=f"negsim-figure {name}")
            pictures = [w for w in box.widgets if w.children and isinstance(w.children[0], ipywidgets.Image)]
            if pictures:
                found[name] = bytes(pictures[0].children[0].value)
        if len(found) == 3:
            return found
        time.sleep(0.05)
    pytest.fail("the figures were not drawn")


def new_images(rc, before: dict[str, bytes]) -> dict[str, bytes]:
    """Wait until every figure differs from ``before``."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        now = images(rc)
        if all(now[k] != before[k] for k in before):
            return now
        time.sleep(0.05)
    pytest.fail("the figures did not change")


def forecast_paragraph(html: str) -> str:
    (found,) = [line for line in html.split("\n") if "negsim-forecast" in line]
    return found


def wait_for_forecast(rc, other_than: str | None = None) -> str:
    """The forecast sentence once its draws (a background task) are done."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = forecast_paragraph(results(rc))
        if "Across" in found and found != other_than:
            return found
        time.sleep(0.05)
    pytest.fail("the forecast did not come")


def button(rc, label: str):
    (found,) = [w for w in rc.find(v.Btn).widgets if label in w.children]
    return found


def slider(rc, prefix: str):
    (found,) = [w for w in rc.find(v.Slider).widgets if w.label.startswith(prefix)]
    return found


def test_page_renders_and_the_model_steps(folder):
    rc = render(ClassroomApp(str(folder / GENEVA.name)))
    assert "Round 0 of at most 40: the opening text is on the table." in results(rc)
    assert "All values as in the file." in results(rc)
    outlook = wait_for_forecast(rc)
    assert "<b>The forecast:</b> Across 500 draws of this scenario" in outlook
    assert "negsim-why" not in results(rc)  # the explanation comes when the run is over
    first = images(rc)
    assert all(png.startswith(b"\x89PNG") for png in first.values())

    button(rc, "Step").click()
    assert "Round 1 of at most 40: no deal yet." in results(rc)
    second = new_images(rc, first)

    # a slider applies at once: the run restarts at round 0 with the new value
    slider(rc, "Ukraine: walk-away 0.60").v_model = 0.7
    assert "Round 0 of at most 40" in results(rc)
    assert "Changed from the file: parties.ukraine.walkaway 0.6 -&gt; 0.7." in results(rc)
    assert slider(rc, "Ukraine: walk-away 0.").label == "Ukraine: walk-away 0.70"
    assert wait_for_forecast(rc, other_than=outlook) != outlook  # the forecast follows the slider
    new_images(rc, {"negsim-plane": second["negsim-plane"]})

    # Mesa's Reset rebuilds the model from the current sliders
    button(rc, "Step").click()
    button(rc, "Step").click()
    assert "Round 2 of at most 40" in results(rc)
    button(rc, "Reset").click()
    assert "Round 0 of at most 40" in results(rc)
    assert "parties.ukraine.walkaway 0.6 -&gt; 0.7" in results(rc)


def test_play_to_the_deal_then_a_slider_starts_again(folder):
    from sim.engine.runner import run
    from sim.engine.scenarios import load_scenario

    deal_round = run(load_scenario(GENEVA), seed=3).round  # seed 3: a run of the file that ends in a deal
    rc = render(ClassroomApp(str(folder / GENEVA.name)))
    slider(rc, "seed").v_model = 3
    assert "Round 0 of at most 40" in results(rc)
    button(rc, "Step").click()
    assert "Round 1 of at most 40" in results(rc), results(rc)[:200]
    for _ in range(deal_round - 1):
        button(rc, "Step").click()
    assert f"Deal in round {deal_round}:" in results(rc)
    assert '<div class="negsim-why"><p><b>Why:</b></p><ul><li>' in results(rc)  # the run explained in words
    assert button(rc, "Step").disabled  # Mesa's controller: the run is over
    slider(rc, "rounds (at most)").v_model = 20
    assert "Round 0 of at most 20" in results(rc)
    assert not button(rc, "Step").disabled  # a fresh controller for the new run
    button(rc, "Step").click()
    assert "Round 1 of at most 20" in results(rc)


def test_bad_values_are_reported_not_applied(folder):
    rc = render(ClassroomApp(str(folder / GENEVA.name)))
    from sim.engine.scenarios import load_scenario

    issues = load_scenario(GENEVA).issue_ids
    for issue in issues:
        slider(rc, f"Russia: salience {issue}").v_model = 0.0
    assert "parties.russia.salience: at least one salience must be &gt; 0" not in results(rc)
    errors = [w for w in rc.find(v.Alert).widgets if "Not applied" in str(w.children)]
    assert errors and "at least one salience must be > 0" in str(errors[0].children)
    assert issues[-1] not in results(rc).split("Changed from the file:")[1]


def test_scenario_picker_swaps_the_sliders_and_restore_resets_them(folder):
    rc = render(ClassroomApp(str(folder / GENEVA.name)))
    slider(rc, "Ukraine: walk-away 0.").v_model = 0.7
    picker = rc.find(v.Select, label="scenario file").widget
    assert set(picker.items) == {GENEVA.name, "four.toml"}
    picker.v_model = "four.toml"
    assert "Round 0 of at most 40" in results(rc)
    assert "All values as in the file." in results(rc)
    labels = [w.label for w in rc.find(v.Slider).widgets]
    assert any(label.startswith("R: walk-away") for label in labels)
    assert not any(label.startswith("Ukraine") for label in labels)
    slider(rc, "U: walk-away 0.").v_model = 0.3
    assert "parties.u.walkaway 0.5 -&gt; 0.3" in results(rc)
    button(rc, "Restore").click()
    assert "All values as in the file." in results(rc)
    assert slider(rc, "U: walk-away 0.").label == "U: walk-away 0.50"


def test_page_opens_the_scenario_named_by_negsim_ui(folder, monkeypatch):
    monkeypatch.setenv("NEGSIM_UI_SCENARIO", str(folder / "four.toml"))
    monkeypatch.setenv("NEGSIM_UI_DIR", str(folder))
    rc = render(Page())
    assert "Round 0 of at most 40" in results(rc)
    assert rc.find(v.Select, label="scenario file").widget.v_model == "four.toml"


def test_results_html_escapes_file_text(tmp_path):
    # names and labels come from the file: markup in them must reach the page as text
    data = four_party_data()
    data["scenario"]["title"] = "<b>bold</b>"
    data["issues"]["land"]["label"] = "<script>alert('land')</script>"
    data["parties"]["u"]["name"] = "U & <i>co</i>"
    model = ClassroomModel(write_scenario(tmp_path / "markup.toml", data))
    model.run_to_end()
    html = results_html(Snapshot.of(model), None, model)
    assert "&lt;script&gt;alert(&#x27;land&#x27;)&lt;/script&gt;" in html
    assert "<script" not in html and "<i>" not in html
    assert "U &amp; &lt;i&gt;co&lt;/i&gt;" in html


def test_figures_draw_the_baseline_faintly_and_the_current_text():
    from sim.report.plots import trajectories_figure, utilities_figure, utility_plane_figure
    from sim.ui.classroom import baseline_run

    model = ClassroomModel(GENEVA, ukraine__walkaway=0.7)
    model.step()
    snapshot, baseline = Snapshot.of(model), baseline_run(model.base)
    figures = [
        trajectories_figure(snapshot, baseline=baseline),
        utilities_figure(snapshot, baseline=baseline),
        utility_plane_figure(snapshot, ("russia", "ukraine"), baseline=baseline, current=True),
    ]
    for figure in figures:
        faint = [
            line for ax in figure.axes for line in ax.get_lines() if "as loaded (baseline)" in str(line.get_label())
        ]
        assert faint and all(line.get_alpha() < 0.5 for line in faint)
        assert len(faint[0].get_xdata()) == baseline.history.rounds + 1  # the whole baseline run
    plane_labels = [line.get_label() for line in figures[2].axes[0].get_lines()]
    assert "current text (round 1)" in plane_labels and "Pareto frontier" in plane_labels
