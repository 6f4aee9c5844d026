"""Scenario numbers as kernel arrays: paths interpolate, red lines soften on schedule."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import two_party_data

from sim.core.compile import compile_params
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict


def test_walkaway_path_interpolates_and_holds_beyond_its_ends():
    data = two_party_data()
    data["parties"]["a"]["walkaway_path"] = [[5, 0.5], [15, 0.3]]
    del data["parties"]["a"]["walkaway_drift"]
    p = compile_params(scenario_from_dict(data))
    a = [p.walkaway_at(t)[0, 0] for t in (0, 2, 5, 10, 15, 29, 100)]
    # before the first point: from the round-0 walk-away (0.2) to 0.5 at round 5
    np.testing.assert_allclose(a, [0.2, 0.2 + 0.3 * 2 / 5, 0.5, 0.4, 0.3, 0.3, 0.3])
    # the other party still drifts linearly
    assert p.walkaway_at(10)[0, 1] == pytest.approx(0.2 - 0.005 * 10)


def test_walkaway_drifts_linearly_and_stays_in_the_unit_interval():
    data = two_party_data()
    data["parties"]["a"]["walkaway"], data["parties"]["a"]["walkaway_drift"] = 0.5, -0.1
    data["parties"]["b"]["walkaway"], data["parties"]["b"]["walkaway_drift"] = 0.95, 0.02
    p = compile_params(scenario_from_dict(data))
    # w(t) = clip(w0 + drift t, 0, 1): A 0.5 -> 0.2 at round 3, 0 from round 5 on; B reaches 1 by round 3
    np.testing.assert_allclose(p.walkaway_at(3)[0], [0.2, 1.0])
    np.testing.assert_allclose(p.walkaway_at(7)[0], [0.0, 1.0])
    np.testing.assert_allclose(p.walkaway_at(1)[0], [0.4, 0.97])


def test_red_lines_soften_on_schedule():
    data = two_party_data()
    data["parties"]["a"]["red_lines"] = {"x": {"max": 40, "soften": 2.0, "cost": 0.1}}
    data["parties"]["b"]["red_lines"] = {"x": {"min": 70, "soften": 1.0}}
    p = compile_params(scenario_from_dict(data))
    for t in (0, 5, 20):
        low, high = p.red_lines_at(t)
        assert high[0, 0, 0] * 100 == pytest.approx(min(40 + 2 * t, 100))
        assert low[0, 1, 0] * 100 == pytest.approx(max(70 - 1 * t, 0))
    costs = p.audience_costs(np.array([[0.45]]))
    assert costs[0, :, 0].tolist() == [0.1, 0.0]  # A crossed its original line; B's 70 is not crossed


def test_no_deal_path_is_a_floor_under_every_text():
    data = two_party_data(opening={"x": 0})
    data["issues"]["x"]["no_deal_path"] = [[0, 0], [10, 30]]
    s = scenario_from_dict(data)
    p = compile_params(s)
    assert p.red_lines_at(5)[0][0, 0, 0] * 100 == pytest.approx(15)
    out = run(s)
    for t in range(out.history.rounds + 1):
        assert out.history.text[t, 0] >= min(3 * t, 30) - 1e-9
