"""The figures of a run draw what binds: red lines as softened by each round, and the no-deal line."""

from __future__ import annotations

import numpy as np
from conftest import two_party_data
from matplotlib.collections import PolyCollection

from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict
from sim.report.plots import trajectories_figure


def _softening_run():
    data = two_party_data()
    data["parties"]["a"]["red_lines"] = {"x": {"max": 40, "soften": 2.0}}  # 40, 42, 44, ... (A wants 0)
    data["parties"]["b"]["red_lines"] = {"x": {"min": 70}}  # hard
    data["issues"]["x"]["no_deal_path"] = [[0, 0], [10, 20]]
    return run(scenario_from_dict(data))


def test_red_lines_are_drawn_where_they_bind_in_each_round():
    out = _softening_run()
    ax = trajectories_figure(out).axes[0]
    rounds = np.arange(out.history.rounds + 1)
    assert out.history.rounds >= 3
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # A's upper band, B's lower band
    for band in bands:
        ys = band.get_paths()[0].vertices[:, 1]
        if ys.max() >= 100 - 1e-9:  # A's band: from its softened line up to 100
            inner = [ys_at.min() for ys_at in _ys_by_round(band, rounds)]
            np.testing.assert_allclose(inner, np.minimum(40 + 2.0 * rounds, 100))
        else:  # B's band: from 0 up to its hard line at 70, every round
            inner = [ys_at.max() for ys_at in _ys_by_round(band, rounds)]
            np.testing.assert_allclose(inner, 70)


def _ys_by_round(band: PolyCollection, rounds: np.ndarray) -> list[np.ndarray]:
    xy = band.get_paths()[0].vertices
    return [xy[np.isclose(xy[:, 0], r), 1] for r in rounds]


def test_the_no_deal_line_is_drawn_by_round():
    out = _softening_run()
    ax = trajectories_figure(out).axes[0]
    (line,) = [line for line in ax.get_lines() if line.get_label() == "no-deal line"]
    rounds = np.arange(out.history.rounds + 1)
    np.testing.assert_allclose(line.get_xdata(), rounds)
    np.testing.assert_allclose(line.get_ydata(), np.minimum(2.0 * rounds, 20))
    legend = trajectories_figure(out).legends[0]
    assert "no-deal line" in [t.get_text() for t in legend.get_texts()]
